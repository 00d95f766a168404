import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import { createAgent, loadAgentConfig, transportFromConfig, type Agent } from "../src";
import { SyncStateStore } from "../src/db/sync-state";
import { bootstrapFromSnapshot, needsBootstrap, SNAPSHOT_DONE_KEY } from "../src/recovery/snapshot-bootstrap";
import { SnapshotSpy } from "./support/snapshot-spy";

const PRODUCTS = 60;

const { central, pg } = useTestCentral("snapshot_boot");

/**
 * A new terminal bootstraps from GET /api/sync/snapshot (real central, PostgreSQL, HTTP,
 * SQLite): its tables equal central's scope, it pulls the feed after the snapshot's cursor,
 * a central write made while the stream is held open arrives exactly once through the feed,
 * and a bootstrap cut off halfway leaves no cursor and completes when run again.
 */

describe("bootstrap from central's snapshot", () => {
  const dirs: string[] = [];
  const agents: Agent[] = [];
  let creds: { storeId: string; terminalId: string; key: string };
  let otherStore: string;

  beforeAll(async () => {
    creds = await central.provisionTerminal();
    otherStore = (await central.provisionTerminal()).storeId;
    await pg.query(
      `INSERT INTO products (sku, name, price_cents) SELECT 'BOOT-' || g, 'Product ' || g, 100 + g FROM generate_series(1, ${PRODUCTS}) g`,
    );
    for (const s of [creds.storeId, otherStore])
      await pg.query(`INSERT INTO inventory_items (store_id, product_id, quantity) SELECT $1, id, 9 FROM products`, [
        s,
      ]);
    await pg.query(`INSERT INTO customers (name, loyalty_points) VALUES ('Ann', 3), ('Bob', 4)`);
  });

  afterAll(async () => {
    for (const a of agents) await a.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function agent(hook: (t: ReturnType<typeof transportFromConfig>) => SnapshotSpy): { agent: Agent; spy: SnapshotSpy } {
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-snapshot-"));
    dirs.push(dir);
    const config = loadAgentConfig({
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${path.join(dir, "t.db")}`,
    });
    const spy = hook(transportFromConfig(config));
    const a = createAgent(config, spy);
    agents.push(a);
    return { agent: a, spy };
  }

  /** The till holds central's products and its own store's stock, nothing else, and captured nothing. */
  async function expectEqualsCentral(a: Agent): Promise<void> {
    const local = (sql: string) => a.db.prepare(sql).all();
    const remote = async (sql: string, params: unknown[] = []) => (await pg.query(sql, params)).rows;
    expect(local(`SELECT id, sku, price_cents, version FROM products ORDER BY id`)).toEqual(
      await remote(`SELECT id::text, sku, price_cents, version FROM products ORDER BY id`),
    );
    expect(local(`SELECT id, store_id, product_id, quantity, version FROM inventory_items ORDER BY id`)).toEqual(
      await remote(
        `SELECT id::text, store_id::text, product_id::text, quantity, version FROM inventory_items WHERE store_id = $1 ORDER BY id`,
        [creds.storeId],
      ),
    );
    expect(local(`SELECT id, loyalty_points FROM customers ORDER BY id`)).toEqual(
      await remote(`SELECT id::text, loyalty_points FROM customers ORDER BY id`),
    );
    expect(local(`SELECT count(*) AS n FROM outbox`)).toEqual([{ n: 0 }]);
  }

  const head = async () =>
    (await pg.query<{ top: string }>(`SELECT max(position)::text AS top FROM change_feed`)).rows[0]!.top;

  it("loads the snapshot, stores its cursor and epoch, then pulls only what came after", async () => {
    const { agent: a, spy } = agent((t) => new SnapshotSpy(t));
    expect(needsBootstrap(a.db)).toBe(true);
    const r = await a.engine.runCycle();
    expect(r.error).toBeUndefined();
    expect(spy.snapshots).toBe(1);
    expect(r.pulled).toBe(PRODUCTS + PRODUCTS + 2);
    // The feed pull continued from the snapshot's cursor, not from 0, and found nothing newer.
    const kv = new SyncStateStore(a.db);
    expect(spy.pulls.map((p) => p.since)).toEqual([kv.cursor()]);
    expect(spy.pulls[0]!.page!.changes).toEqual([]);
    expect(kv.cursor()).toBe(await head());
    expect(kv.get("feed_epoch")).toBe(spy.pulls[0]!.page!.epoch);
    expect(JSON.parse(kv.get(SNAPSHOT_DONE_KEY)!)).toMatchObject({ rows: 2 * PRODUCTS + 2 });
    // Acknowledged, so central knows this terminal's lag and may compact the feed below it.
    const acked = await pg.query(`SELECT acked_cursor::text AS c FROM terminals WHERE id = $1`, [creds.terminalId]);
    expect(acked.rows[0].c).toBe(kv.cursor());
    await expectEqualsCentral(a);
    expect(a.db.prepare(`SELECT count(*) AS n FROM inventory_items WHERE store_id = ?`).get(otherStore)).toEqual({
      n: 0,
    });
    // Bootstrapped once: the next cycle is an ordinary pull.
    await a.engine.runCycle();
    expect(spy.snapshots).toBe(1);
  });

  it("a central write while the stream is held open is not lost and is applied once, through the feed after the cursor", async () => {
    const added = randomUUID();
    const { agent: a, spy } = agent((t) =>
      Object.assign(new SnapshotSpy(t), {
        // Between the header and the first row: the stream is held open while central changes.
        afterLine: {
          n: 1,
          run: async () => {
            await pg.query(`UPDATE products SET price_cents = 7777 WHERE sku = 'BOOT-5'`);
            await pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, 'BOOT-NEW', 'new', 1)`, [
              added,
            ]);
          },
        },
      }),
    );
    const r = await a.engine.runCycle();
    expect(r.error).toBeUndefined();
    const changes = spy.pulls.flatMap((p) => p.page?.changes ?? []);
    const five = (await pg.query<{ id: string }>(`SELECT id::text FROM products WHERE sku = 'BOOT-5'`)).rows[0]!.id;
    // Exactly the two rows written after the snapshot, once each, and nothing the snapshot already held.
    expect(changes.map((c) => c.entityId).sort()).toEqual([added, five].sort());
    expect(a.db.prepare(`SELECT price_cents FROM products WHERE sku = 'BOOT-5'`).get()).toEqual({ price_cents: 7777 });
    expect(new SyncStateStore(a.db).cursor()).toBe(await head());
    await expectEqualsCentral(a);
  });

  it("a snapshot cut off halfway stores no cursor; the next cycle bootstraps again and converges", async () => {
    const { agent: a, spy } = agent((t) => Object.assign(new SnapshotSpy(t), { cutAfter: 1 + PRODUCTS + 10 }));
    // Small batches, so rows were written before the cut: they must not count as a bootstrap.
    await expect(bootstrapFromSnapshot(a.db, spy, { batchRows: 20 })).rejects.toThrow("connection cut");
    const written = a.db
      .prepare(`SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM customers) AS n`)
      .get();
    expect((written as { n: number }).n).toBeGreaterThan(0);
    expect(new SyncStateStore(a.db).get("cursor")).toBeUndefined();
    expect(needsBootstrap(a.db)).toBe(true);
    const first = await a.engine.runCycle();
    expect(first.error).toMatch(/connection cut/);
    spy.cutAfter = undefined;
    const again = await a.engine.runCycle();
    expect(again.error).toBeUndefined();
    expect(needsBootstrap(a.db)).toBe(false);
    expect(new SyncStateStore(a.db).cursor()).toBe(await head());
    await expectEqualsCentral(a);
  });
});
