import { randomUUID } from "node:crypto";
import {
  DEFAULT_SYNC_POLICY,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  snapshotLineSchema,
  type PullResponse,
  type SnapshotLine,
} from "@tillsync/shared";
import { TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

const { central, pg } = useTestCentral("snapshot");

type Rows = Map<string, Record<string, unknown>>;

/** Reads GET /api/sync/snapshot line by line; `afterHeader` runs once the header is in, before any row is read. */
async function readSnapshot(
  key: string,
  afterHeader?: () => Promise<void>,
  protocol: Record<string, string> = { [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) },
): Promise<{ status: number; lines: SnapshotLine[]; contentType: string | null }> {
  const res = await fetch(`${central.url}/api/sync/snapshot`, {
    headers: { authorization: `Bearer ${key}`, ...protocol },
  });
  if (res.status !== 200) return { status: res.status, lines: [], contentType: res.headers.get("content-type") };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const lines: SnapshotLine[] = [];
  let tail = "";
  let held = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const parts = (tail + decoder.decode(value, { stream: true })).split("\n");
    tail = parts.pop()!;
    for (const p of parts) {
      lines.push(snapshotLineSchema.parse(JSON.parse(p)));
      if (!held && afterHeader) {
        held = true;
        await afterHeader();
      }
    }
  }
  expect(tail).toBe("");
  return { status: 200, lines, contentType: res.headers.get("content-type") };
}

function rowsOf(lines: SnapshotLine[]): Rows {
  const out: Rows = new Map();
  for (const l of lines) {
    if (l.type !== "row") continue;
    const k = `${l.entityType}|${String(l.data.id)}`;
    expect(out.has(k)).toBe(false);
    out.set(k, l.data);
  }
  return out;
}

/** What a terminal holds after replaying the feed from cursor 0, page by page. */
async function replayFeed(
  till: TerminalClient,
  since = "0",
): Promise<{ rows: Rows; cursor: string; pulls: PullResponse[] }> {
  const rows: Rows = new Map();
  const pulls: PullResponse[] = [];
  let cursor = since;
  for (;;) {
    const r = await till.raw("GET", `/api/sync/pull?since=${cursor}&limit=7`);
    expect(r.status).toBe(200);
    const page = r.body as unknown as PullResponse;
    pulls.push(page);
    for (const c of page.changes) {
      const k = `${c.entityType}|${c.entityId}`;
      if (c.operation === "DELETE") rows.delete(k);
      else rows.set(k, c.data!);
    }
    cursor = page.nextCursor;
    if (!page.hasMore) return { rows, cursor, pulls };
  }
}

describe("GET /api/sync/snapshot", () => {
  let mine: { storeId: string; terminalId: string; key: string };
  let till: TerminalClient;
  let otherStore: string;

  beforeAll(async () => {
    mine = await central.provisionTerminal();
    till = new TerminalClient(central.url, mine.terminalId, mine.key);
    const other = await central.provisionTerminal();
    otherStore = other.storeId;
    const db = pg;
    await db.query(`INSERT INTO categories (id, name) VALUES (gen_random_uuid(), 'c1'), (gen_random_uuid(), 'c2')`);
    await db.query(`INSERT INTO brands (id, name) VALUES (gen_random_uuid(), 'b1')`);
    await db.query(
      `INSERT INTO products (id, sku, name, price_cents, category_id)
       SELECT gen_random_uuid(), 'SNAP-' || i, 'Product ' || i, 100 + i, (SELECT id FROM categories ORDER BY name LIMIT 1)
         FROM generate_series(1, 30) AS i`,
    );
    await db.query(
      `INSERT INTO customers (id, name, loyalty_points) SELECT gen_random_uuid(), 'C' || i, i FROM generate_series(1, 5) AS i`,
    );
    for (const store of [mine.storeId, otherStore])
      await db.query(`INSERT INTO inventory_items (store_id, product_id, quantity) SELECT $1, id, 7 FROM products`, [
        store,
      ]);
    // Rows changed and deleted after they were made: the replay collapses them, the snapshot never saw the old state.
    await db.query(`UPDATE products SET price_cents = price_cents + 1 WHERE sku IN ('SNAP-1', 'SNAP-2')`);
    await db.query(
      `DELETE FROM inventory_items WHERE store_id = $1 AND product_id = (SELECT id FROM products WHERE sku = 'SNAP-3')`,
      [mine.storeId],
    );
  });

  it("streams NDJSON: a header, the terminal's rows parents first, an end line with the cursor and the count", async () => {
    const { status, lines, contentType } = await readSnapshot(mine.key);
    expect(status).toBe(200);
    expect(contentType).toContain("application/x-ndjson");
    const [header, end] = [lines[0]!, lines[lines.length - 1]!];
    expect(header.type).toBe("header");
    expect(end.type).toBe("end");
    if (header.type !== "header" || end.type !== "end") return;
    expect(end.cursor).toBe(header.cursor);
    expect(end.epoch).toBe(header.epoch);
    expect(end.rows).toBe(lines.length - 2);
    const order = lines.flatMap((l) => (l.type === "row" ? [l.entityType] : []));
    const firstOf = (t: string) => order.indexOf(t as never);
    expect(firstOf("products")).toBeGreaterThan(order.lastIndexOf("categories"));
    expect(header.tables).toEqual(["categories", "brands", "products", "customers", "inventory_items"]);
  });

  it.each([7, 10, 30])(
    "streams the same lines in the same order in FETCHes of %i rows (one FETCH ahead of the write)",
    async (batchRows) => {
      const stream = async (rows?: number) => {
        const lines: string[] = [];
        const totals = await central.running.store.snapshot.stream(
          { storeId: mine.storeId, policy: DEFAULT_SYNC_POLICY, batchRows: rows },
          { header: async () => undefined, lines: async (l) => void lines.push(...l) },
        );
        return { lines, totals };
      };
      const whole = await stream();
      const batched = await stream(batchRows);
      expect(batched.lines).toEqual(whole.lines);
      expect(batched.totals).toEqual(whole.totals);
      expect(whole.totals.rows).toBe(whole.lines.length);
    },
  );

  it("holds exactly what a feed replay from cursor 0 yields, up to the same cursor and epoch", async () => {
    const { lines } = await readSnapshot(mine.key);
    const replay = await replayFeed(till);
    const snap = rowsOf(lines);
    expect(snap.size).toBe(2 + 1 + 30 + 5 + 29);
    expect(snap).toEqual(replay.rows);
    const end = lines[lines.length - 1]!;
    expect(end).toMatchObject({ type: "end", cursor: replay.cursor, epoch: replay.pulls[0]!.epoch });
  });

  it("never sends another store's rows (its stock), nor tables terminals push", async () => {
    const { lines } = await readSnapshot(mine.key);
    const rows = lines.flatMap((l) => (l.type === "row" ? [l] : []));
    const stock = rows.filter((r) => r.entityType === "inventory_items");
    expect(stock.length).toBe(29);
    expect(stock.every((r) => r.data.store_id === mine.storeId)).toBe(true);
    expect(rows.some((r) => r.data.store_id === otherStore)).toBe(false);
    expect(new Set(rows.map((r) => r.entityType))).toEqual(
      new Set(["categories", "brands", "products", "customers", "inventory_items"]),
    );
  });

  it("a write committed while the stream is held open is not in it, and comes once through the feed after its cursor", async () => {
    const db = pg;
    const added = randomUUID();
    const { lines } = await readSnapshot(mine.key, async () => {
      // The header is out, so the snapshot is taken; this commits before any row is read.
      await db.query(`UPDATE products SET price_cents = 9999 WHERE sku = 'SNAP-10'`);
      await db.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, 'SNAP-NEW', 'new', 5)`, [added]);
    });
    const rows = lines.flatMap((l) => (l.type === "row" ? [l] : []));
    expect(rows.some((r) => r.data.id === added)).toBe(false);
    const old = rows.find((r) => r.data.sku === "SNAP-10")!;
    expect(old.data.price_cents).toBe(110);
    const end = lines[lines.length - 1]!;
    if (end.type !== "end") throw new Error("no end line");
    const after = await replayFeed(till, end.cursor);
    const changes = after.pulls.flatMap((p) => p.changes);
    expect(changes.filter((c) => c.entityId === added)).toHaveLength(1);
    const moved = changes.filter((c) => c.entityId === old.data.id);
    expect(moved).toHaveLength(1);
    expect(moved[0]!.data!.price_cents).toBe(9999);
    expect(moved[0]!.version).toBeGreaterThan(old.version);
    // Nothing the snapshot already held comes again (only the two rows written after it).
    expect(new Set(changes.map((c) => c.entityId))).toEqual(new Set([added, old.data.id]));
  });

  it("sends an agent of the first protocol only the columns it knows, as its pull does", async () => {
    const { lines } = await readSnapshot(mine.key, undefined, {});
    const products = lines.flatMap((l) => (l.type === "row" && l.entityType === "products" ? [l.data] : []));
    expect(products.length).toBeGreaterThan(0);
    expect(products.some((p) => "barcode" in p)).toBe(false);
    expect(products.every((p) => "price_cents" in p)).toBe(true);
  });

  it("is refused like the pull: 401 without a valid key, 423 while the terminal is paused", async () => {
    expect((await readSnapshot("not-a-key")).status).toBe(401);
    const paused = await central.admin("POST", `/api/terminals/${mine.terminalId}/pause`, { reason: "test" });
    expect(paused.status).toBe(200);
    try {
      expect((await readSnapshot(mine.key)).status).toBe(423);
    } finally {
      await central.admin("POST", `/api/terminals/${mine.terminalId}/resume`, {});
    }
  });
});
