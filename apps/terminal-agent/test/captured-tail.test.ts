import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { migrationsDir, Priority } from "@tillsync/shared";
import { waitFor } from "@tillsync/testkit";
import { capturedTailLength, TAIL_BOUND } from "../src/capture/captured-tail";
import { OUTBOX_STATUS_INDEX, OUTBOX_UNCONFIRMED_ENTITY_INDEX } from "../src/capture/outbox-indexes";
import { openTerminalDb, withoutCapture, type SqliteDb } from "../src/db/terminal-db";
import { scheduleTailIndexing } from "../src/housekeeping/tail-indexing";
import { listPending } from "../src/outbox/outbox-maintenance";
import { OutboxStore } from "../src/outbox/outbox-store";
import { walPagesByStructure } from "../testing/wal-pages-by-structure";

/**
 * Capture writes its rows into the captured tail, not the entity index; the agent moves them
 * in (capture/captured-tail.ts). These tests hold the till's transaction to writing no page of
 * that index, and every reader by row to seeing the tail's rows.
 */
describe("the captured tail", () => {
  let dir: string;
  let file: string;
  let db: SqliteDb;
  let till: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-tail-"));
    file = path.join(dir, "t.db");
    db = openTerminalDb(file);
    till = new Database(file);
  });

  afterEach(() => {
    till.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A sale as the till writes it: order, two lines, a payment, a stock adjustment. */
  function sale(): string {
    const order = randomUUID();
    const store = randomUUID();
    const product = randomUUID();
    till.transaction(() => {
      till
        .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 300)`)
        .run(order, store);
      for (let i = 0; i < 2; i++)
        till
          .prepare(
            `INSERT INTO sale_order_lines (order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, 1, 150, 150)`,
          )
          .run(order, product);
      till.prepare(`INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CASH', 300)`).run(order);
      till
        .prepare(`INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -1, 'SALE')`)
        .run(store, product);
    })();
    return order;
  }

  const inIndex = () =>
    db.prepare(`SELECT id FROM outbox INDEXED BY ${OUTBOX_UNCONFIRMED_ENTITY_INDEX} WHERE confirmed = 0`).all().length;
  const inStatusIndex = () =>
    db.prepare(`SELECT id FROM outbox INDEXED BY ${OUTBOX_STATUS_INDEX} WHERE confirmed <> 2`).all().length;
  const queued = () =>
    (db.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'PENDING'`).get() as { n: number }).n;

  it("a till's sale writes no page of either outbox index; the agent's next transaction moves it into both", () => {
    sale(); // the indexes exist and hold something, as on a till that has run
    withoutCapture(db, () => undefined);
    expect(inIndex()).toBe(5);
    expect(inStatusIndex()).toBe(5);
    db.pragma("wal_checkpoint(TRUNCATE)");
    sale();
    const written = new Set(walPagesByStructure(db).keys());
    expect(written).toContain("outbox");
    expect(written).not.toContain(OUTBOX_UNCONFIRMED_ENTITY_INDEX);
    expect(written).not.toContain(OUTBOX_STATUS_INDEX);
    expect(capturedTailLength(db)).toBe(5);
    expect([inIndex(), inStatusIndex()]).toEqual([5, 5]);
    withoutCapture(db, () => undefined);
    expect(capturedTailLength(db)).toBe(0);
    expect([inIndex(), inStatusIndex()]).toEqual([10, 10]);
  });

  it("the readiness check and the pending list see a sale still in the tail, and each change once", () => {
    const outbox = new OutboxStore(db);
    expect(outbox.hasReady(Priority.CRITICAL)).toBe(false);
    sale();
    expect(inStatusIndex()).toBe(0);
    // The data_version poll asks this right after the till's commit: the sale must go at once.
    expect(outbox.hasReady(Priority.CRITICAL)).toBe(true);
    expect(listPending(db)).toHaveLength(5);
    withoutCapture(db, () => undefined);
    expect(outbox.hasReady(Priority.CRITICAL)).toBe(true);
    expect(listPending(db)).toHaveLength(5);
    sale(); // half in the index, half in the tail
    expect(listPending(db)).toHaveLength(10);
    expect(listPending(db).map((c) => c.sync_priority)).toEqual(
      [...listPending(db).map((c) => c.sync_priority)].sort((a, b) => b - a),
    );
  });

  it("a claim indexes the tail before it selects, in the same transaction", () => {
    sale();
    sale();
    const batch = new OutboxStore(db).claimBatch(100, 0);
    expect(batch).toHaveLength(10);
    expect(capturedTailLength(db)).toBe(0);
    expect(inIndex()).toBe(10);
  });

  it("stays at most TAIL_BOUND rows long with no agent running: a captured insert indexes it", () => {
    let longest = 0;
    for (let i = 0; i < 150; i++) {
      sale();
      longest = Math.max(longest, capturedTailLength(db));
    }
    expect(longest).toBeLessThan(TAIL_BOUND);
    expect(longest).toBeGreaterThan(TAIL_BOUND - 10); // it did grow to the bound, and no further
    // Every queued change is in the index or in the tail, none in both or neither.
    expect(inIndex() + capturedTailLength(db)).toBe(queued());
    expect(queued()).toBe(750);
  });

  it("an upgraded till: the queue it had stays in the index, its next edit of a queued row folds into it", () => {
    // The release before: every migration up to `outbox_captured_tail`, capture into the index.
    const previous = path.join(dir, "migrations");
    for (const name of readdirSync(migrationsDir("terminal"))) {
      if (name.endsWith("_outbox_captured_tail")) break;
      cpSync(path.join(migrationsDir("terminal"), name), path.join(previous, name), { recursive: true });
    }
    cpSync(path.join(migrationsDir("terminal"), "migration_lock.toml"), path.join(previous, "migration_lock.toml"));
    const oldFile = path.join(dir, "old.db");
    const old = openTerminalDb(oldFile, previous);
    const customer = randomUUID();
    old.prepare(`INSERT INTO customers (id, name) VALUES (?, 'Ann')`).run(customer);
    expect(old.prepare(`SELECT confirmed FROM outbox`).all()).toEqual([{ confirmed: 0 }]);
    old.close();

    const upgraded = openTerminalDb(oldFile);
    try {
      expect(capturedTailLength(upgraded)).toBe(0);
      upgraded.prepare(`UPDATE customers SET name = 'Annie' WHERE id = ?`).run(customer);
      const rows = upgraded.prepare(`SELECT operation, data FROM outbox`).all() as Array<{
        operation: string;
        data: string;
      }>;
      expect(rows).toHaveLength(1); // folded into the queued CREATE, found through the index
      expect(rows[0]!.operation).toBe("CREATE");
      expect(JSON.parse(rows[0]!.data).name).toBe("Annie");
    } finally {
      upgraded.close();
    }
  });

  it("the daemon's timer indexes the tail of an offline till (nothing claims or pulls)", async () => {
    const stop = scheduleTailIndexing(db, 10);
    try {
      sale();
      sale();
      await waitFor(() => capturedTailLength(db) === 0);
      expect(inIndex()).toBe(10);
    } finally {
      stop();
    }
  });
});
