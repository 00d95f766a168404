import { randomUUID } from "node:crypto";
import { Priority, type PushResult } from "@tillsync/shared";
import type { SqliteDb } from "../src/db/terminal-db";
import type { OutboxRow, OutboxStore } from "../src/outbox/outbox-store";
import { memoryTill } from "./support/memory-till";

/**
 * A batch's APPLIED answers are settled set-based (src/outbox/settle-applied.ts): one UPDATE of
 * the outbox and one per table for the versions. These hold it to what the per-change path did:
 * a row changed since it was sent is not marked with the answer (its rest becomes a new change),
 * a row answered twice takes its last version, append-only rows and deletions keep theirs, and
 * the statements look rows up by key instead of scanning.
 */

const RETRY = { maxAttempts: 5, backoffBaseMs: 1000, backoffCapMs: 60_000 };
const storeId = randomUUID();
const productId = randomUUID();

let db: SqliteDb;
let outbox: OutboxStore;

beforeEach(() => ({ db, outbox } = memoryTill(productId)));

afterEach(() => db.close());

function sale(): { order: string; line: string; adjustment: string } {
  const order = randomUUID();
  const line = randomUUID();
  const adjustment = randomUUID();
  db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 100)`).run(
    order,
    storeId,
  );
  db.prepare(
    `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, 1, 100, 100)`,
  ).run(line, order, productId);
  db.prepare(
    `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, -1, 'SALE')`,
  ).run(adjustment, storeId, productId);
  return { order, line, adjustment };
}

const versionOf = (table: string, id: string) =>
  (db.prepare(`SELECT version FROM ${table} WHERE id = ?`).get(id) as { version: number | null }).version;

const outboxOf = (table: string, id: string) =>
  db.prepare(`SELECT * FROM outbox WHERE entity_type = ? AND entity_id = ? ORDER BY id`).all(table, id) as OutboxRow[];

/** Central's answer: APPLIED with `version(row)`. */
const answer = (rows: OutboxRow[], version: (r: OutboxRow) => number): PushResult[] =>
  rows.map((r) => ({ changeId: r.change_id, status: "APPLIED", version: version(r) }) as PushResult);

describe("settling APPLIED answers set-based", () => {
  it("marks the sent rows SYNCED and writes central's versions, but not into append-only rows", () => {
    const sales = [sale(), sale(), sale()];
    const batch = outbox.claimBatch(100, Priority.BACKGROUND);
    expect(batch).toHaveLength(9);
    const outcome = outbox.recordResults(
      batch,
      answer(batch, (r) => 7 + (r.id % 3)),
      RETRY,
    );

    expect(outcome).toEqual({ synced: 9, conflicts: 0, retrying: 0, failed: 0 });
    expect(db.prepare(`SELECT count(*) AS n FROM outbox WHERE status <> 'SYNCED' OR error IS NOT NULL`).get()).toEqual({
      n: 0,
    });
    for (const r of batch) {
      if (r.entity_type === "inventory_adjustments") continue;
      expect(versionOf(r.entity_type, r.entity_id)).toBe(7 + (r.id % 3));
    }
    // Append-only rows are never a base: the per-change path did not write their version either.
    const adj = sales[0]!.adjustment;
    expect(db.prepare(`SELECT * FROM inventory_adjustments WHERE id = ?`).get(adj)).toBeDefined();
  });

  it("does not mark a row that holds something else since it was sent: its rest becomes a new change", () => {
    const { order, line } = sale();
    const batch = outbox.claimBatch(100, Priority.BACKGROUND);
    const sentOrder = batch.find((r) => r.entity_id === order)!;
    // Another writer changed the row after the claim (what the per-change settle guarded against).
    const changed = JSON.stringify({ ...JSON.parse(sentOrder.data!), total_cents: 250 });
    db.prepare(`UPDATE outbox SET data = ? WHERE id = ?`).run(changed, sentOrder.id);

    const outcome = outbox.recordResults(
      batch,
      answer(batch, () => 4),
      RETRY,
    );

    expect(outcome.synced).toBe(3);
    const [rest] = outboxOf("sale_orders", order);
    expect(rest).toMatchObject({
      id: sentOrder.id,
      status: "PENDING",
      operation: "UPDATE",
      data: changed,
      base_data: sentOrder.data,
      base_version: 4,
      attempts: 0,
      last_attempt_at: null,
    });
    expect(rest!.change_id).not.toBe(sentOrder.change_id);
    expect(outboxOf("sale_order_lines", line)[0]!.status).toBe("SYNCED");
    expect(versionOf("sale_orders", order)).toBe(4);
  });

  it("gives a row answered twice in one batch the version of its last change, and rebases what waits", () => {
    const { order } = sale();
    const first = outbox.claimBatch(100, Priority.BACKGROUND);
    outbox.release(first.map((r) => r.id)); // sent, unanswered: later edits are changes of their own
    db.prepare(`UPDATE sale_orders SET total_cents = 300 WHERE id = ?`).run(order);
    const batch = outbox.claimBatch(100, Priority.BACKGROUND);
    const orderChanges = batch.filter((r) => r.entity_id === order);
    expect(orderChanges.map((r) => r.operation)).toEqual(["CREATE", "UPDATE"]);
    db.prepare(`UPDATE sale_orders SET total_cents = 400 WHERE id = ?`).run(order); // waits, on top of the last

    const versions = new Map(orderChanges.map((r, i) => [r.id, 10 + i]));
    outbox.recordResults(
      batch,
      answer(batch, (r) => versions.get(r.id) ?? 1),
      RETRY,
    );

    expect(versionOf("sale_orders", order)).toBe(11);
    const rows = outboxOf("sale_orders", order);
    expect(rows.map((r) => r.status)).toEqual(["SYNCED", "SYNCED", "PENDING"]);
    expect(rows[2]!.base_version).toBe(11);
  });

  it("bases a row's resent rest on its last change's version, not on an earlier change's of the same batch", () => {
    const { order } = sale();
    const first = outbox.claimBatch(100, Priority.BACKGROUND);
    outbox.release(first.map((r) => r.id));
    db.prepare(`UPDATE sale_orders SET total_cents = 300 WHERE id = ?`).run(order);
    const batch = outbox.claimBatch(100, Priority.BACKGROUND);
    const [created, updated] = batch.filter((r) => r.entity_id === order);
    // The later change holds something else since it was sent: its rest is resent, based on 11.
    const changed = JSON.stringify({ ...JSON.parse(updated!.data!), total_cents: 350 });
    db.prepare(`UPDATE outbox SET data = ? WHERE id = ?`).run(changed, updated!.id);

    const versions = new Map([
      [created!.id, 10],
      [updated!.id, 11],
    ]);
    outbox.recordResults(
      batch,
      answer(batch, (r) => versions.get(r.id) ?? 1),
      RETRY,
    );

    const rows = outboxOf("sale_orders", order);
    expect(rows.map((r) => [r.status, r.base_version])).toEqual([
      ["SYNCED", null],
      ["PENDING", 11],
    ]);
    expect(rows[1]!.data).toBe(changed);
  });

  it("keeps a deleted row's answer out of its table and settles it", () => {
    const { order } = sale();
    const created = outbox.claimBatch(100, Priority.BACKGROUND);
    outbox.recordResults(
      created,
      answer(created, () => 1),
      RETRY,
    );
    db.prepare(`DELETE FROM sale_order_lines`).run();
    db.prepare(`DELETE FROM sale_orders WHERE id = ?`).run(order);
    const batch = outbox.claimBatch(100, Priority.BACKGROUND);
    expect(batch.map((r) => r.operation)).toEqual(["DELETE", "DELETE"]);
    expect(
      outbox.recordResults(
        batch,
        answer(batch, () => 3),
        RETRY,
      ).synced,
    ).toBe(2);
    expect(db.prepare(`SELECT count(*) AS n FROM outbox WHERE status <> 'SYNCED'`).get()).toEqual({ n: 0 });
  });

  it("settles a batch larger than one statement's rows, and only the rows answered", () => {
    for (let i = 0; i < 210; i++) sale(); // 630 changes: three statements' worth, the last one part full
    const batch = outbox.claimBatch(1000, Priority.BACKGROUND);
    expect(batch).toHaveLength(630);
    const unanswered = batch[300]!;
    const outcome = outbox.recordResults(
      batch,
      answer(
        batch.filter((r) => r !== unanswered),
        () => 2,
      ),
      RETRY,
    );

    expect(outcome.synced).toBe(629);
    expect(db.prepare(`SELECT id, status FROM outbox WHERE status <> 'SYNCED'`).all()).toEqual([
      { id: unanswered.id, status: "SYNCING" },
    ]);
  });

  it("looks the answered rows up by key: no scan of the outbox or of a table", () => {
    const traced: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      if (/json_each|VALUES/.test(sql) && /^\s*UPDATE/.test(sql)) traced.push(sql);
      return prepare(sql);
    }) as typeof db.prepare;
    sale();
    const batch = outbox.claimBatch(100, Priority.BACKGROUND);
    outbox.recordResults(
      batch,
      answer(batch, () => 2),
      RETRY,
    );
    db.prepare = prepare;

    const setBased = traced.filter((s) => /FROM \(SELECT (value|column1)/.test(s));
    expect(setBased.length).toBeGreaterThanOrEqual(3); // the outbox, sale_orders, sale_order_lines
    for (const sql of setBased) {
      const steps = (
        db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(sql.match(/\?/g) ?? []).map(() => "[]")) as Array<{
          detail: string;
        }>
      ).map((s) => s.detail);
      const scans = steps.filter((d) => /^SCAN /.test(d) && !/json_each|VIRTUAL TABLE|VALUES/.test(d));
      expect({ sql, scans }).toEqual({ sql, scans: [] });
    }
  });
});
