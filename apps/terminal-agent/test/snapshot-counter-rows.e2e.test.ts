import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { createAgent, loadAgentConfig, transportFromConfig, type Agent } from "../src";
import { SyncStateStore } from "../src/db/sync-state";
import { bootstrapFromSnapshot } from "../src/recovery/snapshot-bootstrap";
import { SnapshotSpy } from "./support/snapshot-spy";

const { central, pg } = useTestCentral("snapshot_counters");

/**
 * G4 through the snapshot (real central, PostgreSQL, HTTP, SQLite): a till shows central's
 * last stock value plus its own unpushed movements, and a stock row the till made up for a
 * product (its display trigger, on a sale before central's row was there) gives way to
 * central's row for the same key. The bootstrap drops such rows once per batch instead of one
 * DELETE per stock row (snapshot-bootstrap.ts): these tests hold a till in each case where
 * there is something to drop. And a FEED_RESET re-download loads the snapshot, not the feed
 * replayed from cursor 0.
 */

describe("stock rows through the snapshot: central's value + the till's own movements (G4)", () => {
  const dirs: string[] = [];
  const agents: Agent[] = [];
  const tills: Database.Database[] = [];
  const products = [randomUUID(), randomUUID(), randomUUID()];
  const central0 = [20, 30, 40];

  beforeAll(async () => {
    for (const [i, id] of products.entries())
      await pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'p', 100)`, [id, `CR-${i}`]);
  });

  afterAll(async () => {
    for (const t of tills) t.close();
    for (const a of agents) await a.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A terminal in a store of its own whose stock central holds; its agent and its till's connection. */
  async function till(): Promise<{ agent: Agent; spy: SnapshotSpy; db: Database.Database; storeId: string }> {
    const creds = await central.provisionTerminal();
    for (const [i, id] of products.entries())
      await pg.query(`INSERT INTO inventory_items (store_id, product_id, quantity) VALUES ($1, $2, $3)`, [
        creds.storeId,
        id,
        central0[i],
      ]);
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-counter-"));
    dirs.push(dir);
    const file = path.join(dir, "t.db");
    const config = loadAgentConfig({
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${file}`,
    });
    const spy = new SnapshotSpy(transportFromConfig(config));
    const agent = createAgent(config, spy);
    agents.push(agent);
    const db = new Database(file);
    db.pragma("busy_timeout = 5000");
    tills.push(db);
    return { agent, spy, db, storeId: creds.storeId };
  }

  const sell = (db: Database.Database, storeId: string, productId: string, qty: number) =>
    db
      .prepare(
        `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, ?, 'SALE')`,
      )
      .run(randomUUID(), storeId, productId, -qty);

  /** The till's stock rows of its store: product → [id, quantity]. */
  const shown = (a: Agent, storeId: string): Record<string, [string, number]> =>
    Object.fromEntries(
      (
        a.db
          .prepare(`SELECT product_id, id, quantity FROM inventory_items WHERE store_id = ? ORDER BY product_id`)
          .all(storeId) as Array<{ product_id: string; id: string; quantity: number }>
      ).map((r) => [r.product_id, [r.id, r.quantity] as [string, number]]),
    );
  /** Central's stock rows of the store, in the same form. */
  const atCentral = async (storeId: string): Promise<Record<string, [string, number]>> =>
    Object.fromEntries(
      (
        await pg.query<{ product_id: string; id: string; quantity: number }>(
          `SELECT product_id::text, id::text, quantity FROM inventory_items WHERE store_id = $1 ORDER BY product_id`,
          [storeId],
        )
      ).rows.map((r) => [r.product_id, [r.id, r.quantity] as [string, number]]),
    );
  const pendingMovements = (a: Agent) =>
    a.db
      .prepare(`SELECT count(*) AS n FROM outbox WHERE entity_type = 'inventory_adjustments' AND status = 'PENDING'`)
      .get();

  it("a till that sold before its first sync: central's stock rows replace the ones it made up, showing central + its own", async () => {
    const { agent: a, spy, db, storeId } = await till();
    const [p0, p1, p2] = products as [string, string, string];
    sell(db, storeId, p0, 2);
    sell(db, storeId, p1, 3);
    // The display trigger made up a stock row per product sold, each with an id of the till's.
    const madeUp = shown(a, storeId);
    expect([madeUp[p0]![1], madeUp[p1]![1], madeUp[p2]]).toEqual([-2, -3, undefined]);
    const c = await atCentral(storeId);
    expect([madeUp[p0]![0], madeUp[p1]![0]]).not.toContain(c[p0]![0]);

    // Small batches: stock rows arrive in several transactions, the made-up rows before the first.
    await bootstrapFromSnapshot(a.db, spy, { batchRows: 2 });
    expect(spy.snapshots).toBe(1);
    expect(shown(a, storeId)).toEqual({
      [p0]: [c[p0]![0], 20 - 2],
      [p1]: [c[p1]![0], 30 - 3],
      [p2]: [c[p2]![0], 40],
    });
    expect(pendingMovements(a)).toEqual({ n: 2 });

    // Pushed, then pulled: central applied the movements once, and the till shows central's value.
    expect((await a.engine.runCycle()).error).toBeUndefined();
    expect(await atCentral(storeId)).toEqual(shown(a, storeId));
    expect(shown(a, storeId)[p0]).toEqual([c[p0]![0], 18]);
  });

  it("a sale between two batches of a new till's bootstrap, before its stock row came, stays on central's row", async () => {
    const { agent: a, spy, db, storeId } = await till();
    const c = await atCentral(storeId);
    const last = products[2]!;
    // After the first batch (products come before their stock rows): the sale makes up a stock row.
    spy.afterLine = { n: 3, run: () => void sell(db, storeId, last, 4) };
    await bootstrapFromSnapshot(a.db, spy, { batchRows: 2 });
    const after = shown(a, storeId);
    expect(Object.keys(after)).toHaveLength(3);
    for (const [p, [id, q]] of Object.entries(c)) expect(after[p]).toEqual([id, p === last ? q - 4 : q]);
    expect(pendingMovements(a)).toEqual({ n: 1 });
  });

  it("after a FEED_RESET the till re-downloads through the snapshot, and a sale during it shows central + its own", async () => {
    const { agent: a, spy, db, storeId } = await till();
    expect((await a.engine.runCycle()).error).toBeUndefined();
    expect(spy.snapshots).toBe(1);
    const [p0] = products as [string];
    // A product central adds after the till's last pull: the till has no stock row for it.
    const added = randomUUID();
    await pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'new', 100)`, [
      added,
      `CR-${added}`,
    ]);
    await pg.query(`INSERT INTO inventory_items (store_id, product_id, quantity) VALUES ($1, $2, 50)`, [
      storeId,
      added,
    ]);
    // An operator re-initialises central's feed: every cursor of the old epoch gets 409 FEED_RESET.
    await pg.query(
      `UPDATE feed_identity SET epoch = gen_random_uuid(), reason = 'test', changed_at = now() WHERE id = 1`,
    );
    const oldCursor = new SyncStateStore(a.db).cursor();
    spy.pulls = [];
    // The till sells while the snapshot streams: both movements are unpushed when its rows land.
    spy.afterLine = {
      n: 1,
      run: () => {
        sell(db, storeId, p0, 1);
        sell(db, storeId, added, 4);
      },
    };

    const r = await a.engine.runCycle();
    expect(r.error).toBeUndefined();
    expect(r.recovery).toMatchObject({ kind: "FEED_RESET", reason: "EPOCH_CHANGED" });
    // The re-download was the snapshot (one more request), not the feed replayed from cursor 0.
    expect(spy.snapshots).toBe(2);
    expect(spy.pulls.map((p) => p.since)).not.toContain("0");
    expect(spy.pulls[0]?.since).toBe(oldCursor);
    const inScope = await pg.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM inventory_items WHERE store_id = $1) + (SELECT count(*) FROM customers) AS n`,
      [storeId],
    );
    expect(r.recovery!.downloaded).toBe(Number(inScope.rows[0]!.n));

    const c = await atCentral(storeId);
    const after = shown(a, storeId);
    expect(Object.keys(after)).toHaveLength(4);
    expect(after[p0]).toEqual([c[p0]![0], c[p0]![1] - 1]);
    expect(after[added]).toEqual([c[added]![0], 50 - 4]);
    expect(pendingMovements(a)).toEqual({ n: 2 });

    // The next cycles push the movements and pull central's values: the same numbers.
    expect((await a.engine.runCycle()).error).toBeUndefined();
    expect((await a.engine.runCycle()).error).toBeUndefined();
    expect(await atCentral(storeId)).toEqual(shown(a, storeId));
    expect(shown(a, storeId)[added]).toEqual([c[added]![0], 46]);
  });
});
