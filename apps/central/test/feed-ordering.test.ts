import { randomUUID } from "node:crypto";
import { Client, Pool } from "pg";
import { START_CURSOR, type FeedCursor } from "@tillsync/shared";
import { useTestCentral } from "../testing";
import { change, TerminalClient, waitFor } from "@tillsync/testkit";

const { central } = useTestCentral("g2");

/** G2: a pull never skips a change, whatever order concurrent writers commit in. */
describe("the change feed is commit-ordered (G2)", () => {
  let till: TerminalClient;

  beforeAll(async () => {
    const t = await central.provisionTerminal();
    till = new TerminalClient(central.url, t.terminalId, t.key);
  });

  async function pullAll(since: FeedCursor): Promise<{ ids: string[]; cursor: FeedCursor }> {
    const ids: string[] = [];
    let cursor = since;
    for (;;) {
      const r = await till.raw("GET", `/api/sync/pull?since=${cursor}&limit=500`);
      const body = r.body as { changes: Array<{ entityId: string }>; nextCursor: FeedCursor; hasMore: boolean };
      ids.push(...body.changes.map((c) => c.entityId));
      cursor = body.nextCursor;
      if (!body.hasMore) return { ids, cursor };
    }
  }

  it("does not let the cursor pass a transaction that started first and commits last", async () => {
    const { cursor: start } = await pullAll(START_CURSOR);
    const early = new Client({ connectionString: central.databaseUrl });
    await early.connect();
    const earlyId = randomUUID();
    const lateId = randomUUID();
    // The early writer inserts first (a sequence would give it the lower position)...
    await early.query("BEGIN");
    await early.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'early', 1)`, [
      earlyId,
      `E-${earlyId}`,
    ]);
    // ...a later writer commits first...
    const late = new Client({ connectionString: central.databaseUrl });
    await late.connect();
    await late.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'late', 1)`, [
      lateId,
      `L-${lateId}`,
    ]);
    const first = await pullAll(start);
    expect(first.ids).toEqual([lateId]);
    // ...and the early one commits after a terminal has already read past the late one.
    await early.query("COMMIT");
    const second = await pullAll(first.cursor);
    expect(second.ids).toEqual([earlyId]);
    await early.end();
    await late.end();
  });

  it("delivers every change to a terminal pulling continuously while pushers and central writers commit in parallel", async () => {
    const { cursor: start } = await pullAll(START_CURSOR);
    const expected = new Set<string>();
    const seen = new Set<string>();
    let writing = true;
    let cursor = start;
    const puller = (async () => {
      for (;;) {
        const done = !writing;
        const page = await pullAll(cursor);
        page.ids.forEach((id) => seen.add(id));
        cursor = page.cursor;
        if (done) return;
      }
    })();

    const pool = new Pool({ connectionString: central.databaseUrl, max: 6 });
    const centralWriter = async (w: number) => {
      for (let i = 0; i < 25; i++) {
        const id = randomUUID();
        expected.add(id);
        const c = await pool.connect();
        try {
          await c.query("BEGIN");
          await c.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'w', 1)`, [
            id,
            `W${w}-${id}`,
          ]);
          // Hold some transactions open so commit order differs from insert order.
          if (i % 3 === 0) await c.query("SELECT pg_sleep(0.01 * random())");
          await c.query("COMMIT");
        } finally {
          c.release();
        }
      }
    };
    const pusher = async () => {
      for (let i = 0; i < 10; i++) {
        const batch = Array.from({ length: 5 }, () => change("customers", { name: "c" }, { syncPriority: 6 }));
        batch.forEach((b) => expected.add(b.entityId));
        await till.push(batch);
      }
    };
    await Promise.all([centralWriter(1), centralWriter(2), centralWriter(3), pusher(), pusher()]);
    writing = false;
    await puller;
    await pool.end();
    const missing = [...expected].filter((id) => !seen.has(id));
    expect(missing).toEqual([]);
    expect(expected.size).toBe(175);
  });

  it("scopes stock to the terminal's store and sends the catalogue to everyone", async () => {
    const mine = await central.provisionTerminal();
    const theirs = await central.provisionTerminal();
    const a = new TerminalClient(central.url, mine.terminalId, mine.key);
    const productId = randomUUID();
    await central.admin("POST", "/api/products", {
      id: productId,
      sku: `S-${productId}`,
      name: "scoped",
      priceCents: 9,
    });
    await central.admin("POST", "/api/stock", { storeId: mine.storeId, productId, quantity: 5 });
    await central.admin("POST", "/api/stock", { storeId: theirs.storeId, productId, quantity: 7 });
    const body = await waitFor(async () => {
      const r = (await a.raw("GET", "/api/sync/pull?since=0&limit=5000")).body as {
        changes: Array<{ entityType: string; data: Record<string, unknown> }>;
      };
      return r.changes.some((c) => c.entityType === "inventory_items" && c.data.product_id === productId)
        ? r
        : undefined;
    });
    const stock = body.changes.filter((c) => c.entityType === "inventory_items" && c.data.product_id === productId);
    expect(stock.map((s) => [s.data.store_id, s.data.quantity])).toEqual([[mine.storeId, 5]]);
    expect(body.changes.some((c) => c.entityType === "products" && c.data.id === productId)).toBe(true);
  });
});
