import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { DEFAULT_SYNC_POLICY, type PushResult } from "@tillsync/shared";
import { captureTriggerSql } from "../src/capture/capture-triggers";
import { NEXT_OUTBOX_ID_SQL, OUTBOX_ID_TRIGGERS_SQL } from "../src/capture/outbox-ids";
import { OUTBOX_STATUS_INDEX, OUTBOX_UNCONFIRMED_ENTITY_INDEX } from "../src/capture/outbox-indexes";
import { openTerminalDb, type SqliteDb } from "../src/db/terminal-db";
import { listFailed } from "../src/outbox/failed-changes";
import { cleanupSynced, listPending, retryFailed } from "../src/outbox/outbox-maintenance";
import { OutboxStore } from "../src/outbox/outbox-store";
import { resendHeldChanges } from "../src/recovery/resend-held";
import { rowsWithUnpushedChanges } from "../src/sync/apply-central-row";
import { ledgersInto, unpushedDelta } from "../src/sync/ledger-counters";

/**
 * The outbox indexes rows by entity only while central has not confirmed them (a partial index,
 * src/capture/outbox-indexes.ts), and SQLite uses a partial index only for a query that spells
 * its predicate out. These tests hold every outbox query the agent runs to an index, so none
 * falls back to scanning an outbox that holds days of SYNCED history (issue 15). Plans, not timings.
 */

const RETRY = { maxAttempts: 3, backoffBaseMs: 1, backoffCapMs: 1 };

/** `EXPLAIN QUERY PLAN` of a statement, every parameter bound to NULL. */
function plan(db: SqliteDb, sql: string): string[] {
  const s = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const named = [...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!);
  const rows = (
    named.length > 0
      ? s.all(Object.fromEntries(named.map((n) => [n, null])))
      : s.all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null))
  ) as Array<{ detail: string }>;
  return rows.map((r) => r.detail);
}

/**
 * Plan steps that read the outbox (under any alias) front to back without an index. A scan of a
 * subquery's result (a CO-ROUTINE or MATERIALIZE step of that alias) reads no table.
 */
function fullScans(steps: string[], aliases: string[]): string[] {
  const derived = new Set(steps.map((d) => /^(?:CO-ROUTINE|MATERIALIZE) (\w+)/.exec(d)?.[1]).filter(Boolean));
  const tables = aliases.filter((a) => !derived.has(a));
  return steps.filter((d) => tables.some((a) => new RegExp(`^SCAN ${a}\\b`).test(d)) && !/USING/.test(d));
}

describe("outbox query plans", () => {
  let dir: string;
  let db: SqliteDb;
  let till: Database.Database;
  /** Every statement on the outbox the agent prepared during the test. */
  let prepared: Set<string>;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-plans-"));
    const file = path.join(dir, "t.db");
    db = openTerminalDb(file);
    till = new Database(file);
    prepared = new Set();
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      if (/\boutbox\b/.test(sql) && !sql.startsWith("EXPLAIN")) prepared.add(sql);
      return prepare(sql);
    }) as typeof db.prepare;
  });

  afterEach(() => {
    till.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A sale as the till writes it, then the order edited (a fold) and a product renamed. */
  function tillWrites(): { order: string; store: string; product: string } {
    const order = randomUUID();
    const store = randomUUID();
    const product = randomUUID();
    till.transaction(() => {
      till.prepare(`INSERT INTO products (id, sku, name, price_cents) VALUES (?, ?, 'p', 100)`).run(product, product);
      till
        .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 300)`)
        .run(order, store);
      till
        .prepare(
          `INSERT INTO sale_order_lines (order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, 1, 300, 300)`,
        )
        .run(order, product);
      till.prepare(`INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CASH', 300)`).run(order);
      till
        .prepare(`INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -1, 'SALE')`)
        .run(store, product);
    })();
    till.prepare(`UPDATE sale_orders SET status = 'COMPLETED' WHERE id = ?`).run(order);
    till.prepare(`UPDATE products SET name = 'renamed' WHERE id = ?`).run(product);
    return { order, store, product };
  }

  it("the capture triggers' lookups of a row's unsent change read the partial entity index and the captured tail's rowid range", () => {
    const sql = captureTriggerSql();
    const lookups = [
      ...sql.matchAll(/SELECT id FROM \(SELECT id FROM outbox WHERE [^]*? LIMIT 1/g),
      ...sql.matchAll(/UPDATE outbox SET sync_priority = [^;]*? WHERE ((?:entity_type|id >) [^;]*?);/gs),
    ].map((m) => (m[0].startsWith("UPDATE") ? `SELECT id FROM outbox WHERE ${m[1]}` : m[0]));
    expect(lookups.length).toBeGreaterThan(10);
    for (const lookup of lookups) {
      // Inside a trigger NEW/OLD are values: a bound parameter stands in for them here.
      const steps = plan(db, lookup.replace(/\b(NEW|OLD)\.id\b/g, "?"));
      const index = steps.some((d) => d.includes(OUTBOX_UNCONFIRMED_ENTITY_INDEX));
      const tail = steps.some((d) => /^SEARCH outbox USING INTEGER PRIMARY KEY \(rowid>\?\)/.test(d));
      const expected = lookup.includes("UNION ALL")
        ? { index: true, tail: true }
        : lookup.includes("indexed_through")
          ? { index: false, tail: true }
          : { index: true, tail: false };
      expect({ lookup, index, tail, scans: fullScans(steps, ["outbox"]) }).toEqual({ lookup, ...expected, scans: [] });
    }
  });

  it("choosing an outbox id and keeping its floor read the outbox by its primary key (capture/outbox-ids.ts)", () => {
    const queries = [
      `SELECT ${NEXT_OUTBOX_ID_SQL}`,
      ...[...OUTBOX_ID_TRIGGERS_SQL.matchAll(/WHEN ([^]*?)\nBEGIN/g)].map((m) => `SELECT 1 WHERE ${m[1]}`),
    ];
    expect(queries).toHaveLength(3);
    for (const q of queries) {
      const steps = plan(db, q.replace(/\b(NEW|OLD)\.id\b/g, "?"));
      expect({ q, scans: fullScans(steps, ["outbox", "outbox_id_floor"]) }).toEqual({ q, scans: [] });
      // The outbox is read by a seek on its rowid (max(id), id > ?), never scanned.
      expect(steps.some((d) => /^SEARCH outbox(?!_)\b/.test(d))).toBe(/FROM outbox(?!_)\b/.test(q));
    }
  });

  it("the fold still works through the index: a till's edit of an unsent order lands in its CREATE", () => {
    const { order } = tillWrites();
    const rows = db.prepare(`SELECT operation, data FROM outbox WHERE entity_id = ?`).all(order) as Array<{
      operation: string;
      data: string;
    }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.operation).toBe("CREATE");
    expect(JSON.parse(rows[0]!.data)).toMatchObject({ status: "COMPLETED" });
  });

  it("every outbox query of push, pull, status, maintenance and resend reads by index", async () => {
    const { store, product } = tillWrites();
    const outbox = new OutboxStore(db);
    outbox.hasReady(0);
    const batch = outbox.claimBatch(100, 0);
    expect(batch.length).toBeGreaterThan(0);
    // A later edit waiting behind the batch, so the rebase after the answer runs.
    till.prepare(`UPDATE products SET name = 'again' WHERE id = ?`).run(product);
    const results: PushResult[] = batch.map((r, i) =>
      i === 0
        ? { changeId: r.change_id, status: "REJECTED", reason: "test" }
        : { changeId: r.change_id, status: "APPLIED", version: 2 },
    ) as PushResult[];
    outbox.recordResults(batch, results, RETRY);
    outbox.counts();
    outbox.failedChanges(10);
    outbox.resetInFlight();
    listFailed(db);
    retryFailed(db);
    listPending(db);
    cleanupSynced(db, 7);
    rowsWithUnpushedChanges(db);
    rowsWithUnpushedChanges(db, [{ entityType: "products", entityId: product }]); // a pulled page's rows
    unpushedDelta(db, ledgersInto(DEFAULT_SYNC_POLICY, "inventory_items")[0]!, {
      store_id: store,
      product_id: product,
    });
    await resendHeldChanges(
      db,
      outbox,
      {
        push: async (changes) =>
          changes.map((c) => ({ changeId: c.changeId, status: "APPLIED", version: 3 }) as PushResult),
      },
      { batchSize: 100, rejectRetry: RETRY },
    );

    // The heartbeat's per-table counts read every row by design (one GROUP BY, no index to seek).
    const scansByDesign = [/GROUP BY entity_type, status/];
    const checked = [...prepared].filter((sql) => !/^\s*(INSERT|PRAGMA)/.test(sql));
    expect(checked.length).toBeGreaterThan(15);
    for (const sql of checked) {
      const steps = plan(db, sql);
      const scans = scansByDesign.some((r) => r.test(sql)) ? [] : fullScans(steps, ["outbox", "o", "n", "h"]);
      expect({ sql, scans }).toEqual({ sql, scans: [] });
    }
    // The lookups by row are the partial index's.
    const byRow = checked.filter((sql) =>
      /entity_id = \?|entity_id IN \(SELECT value FROM json_each|l\.id = o\.entity_id/.test(sql),
    );
    expect(byRow.length).toBeGreaterThanOrEqual(4);
    for (const sql of byRow) expect(plan(db, sql).join("\n")).toContain(OUTBOX_UNCONFIRMED_ENTITY_INDEX);
    // The lookups by status are the partial status index's (its predicate spelt out, INDEXED_SQL).
    const byStatus = checked.filter(
      (sql) => /WHERE [^]*(?<![+.])\bstatus (=|IN) /.test(sql) && !/entity_(type|id) (=|IN) /.test(sql),
    );
    expect(byStatus.length).toBeGreaterThanOrEqual(6);
    for (const sql of byStatus)
      expect({ sql, plan: plan(db, sql).join("\n") }).toEqual({
        sql,
        plan: expect.stringContaining(OUTBOX_STATUS_INDEX),
      });
  });

  /** Whether a statement's bytecode opens the partial entity index for writing (moves entries in it). */
  function writesEntityIndex(sql: string): boolean {
    const { rootpage } = db
      .prepare(`SELECT rootpage FROM sqlite_master WHERE type = 'index' AND name = ?`)
      .get(OUTBOX_UNCONFIRMED_ENTITY_INDEX) as { rootpage: number };
    const ops = db
      .prepare(`EXPLAIN ${sql}`)
      .all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null));
    return (ops as Array<{ opcode: string; p2: number }>).some((o) => o.opcode === "OpenWrite" && o.p2 === rootpage);
  }

  /** The outbox ids in the partial entity index, and those central has not confirmed. */
  const inIndex = () =>
    db
      .prepare(`SELECT id FROM outbox INDEXED BY ${OUTBOX_UNCONFIRMED_ENTITY_INDEX} WHERE confirmed = 0 ORDER BY id`)
      .all();
  const unconfirmed = () =>
    db.prepare(`SELECT id FROM outbox WHERE status IN ('PENDING', 'SYNCING', 'FAILED') ORDER BY id`).all();

  /**
   * Claims, releases, claims again, resets, claims (at most `limit`) and answers: the first
   * change REJECTED, the rest APPLIED.
   */
  function pushRound(outbox: OutboxStore, limit = 100): void {
    const batch = outbox.claimBatch(100, 0);
    outbox.release(batch.map((r) => r.id));
    outbox.claimBatch(100, 0);
    outbox.resetInFlight();
    const sent = outbox.claimBatch(limit, 0);
    expect(sent.length).toBeGreaterThan(2);
    outbox.recordResults(
      sent,
      sent.map((r, i) =>
        i === 0
          ? { changeId: r.change_id, status: "REJECTED", reason: "test" }
          : { changeId: r.change_id, status: "APPLIED", version: 2 },
      ) as PushResult[],
      RETRY,
    );
  }

  /** Changes ready to be sent now (a rejected one waits its backoff). */
  const readyToSend = () =>
    db
      .prepare(
        `SELECT id FROM outbox WHERE status = 'PENDING' AND (next_attempt_at IS NULL OR next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
      )
      .all();

  it("claiming, releasing, rejecting, resetting and settling a batch leave the entity index alone", () => {
    tillWrites();
    pushRound(new OutboxStore(db));
    // A status move rewrote one entry of the index per row, at a random page (issue 15): none
    // of the statements that move a status may touch it; the confirm sweep (setting `confirmed`) does.
    // (Those that set `confirmed` are not status moves; the status index's predicate names it too.)
    const moves = [...prepared].filter(
      (sql) => /^\s*UPDATE (OR FAIL )?outbox SET status = /.test(sql) && !/confirmed = \d/.test(sql),
    );
    expect(moves.length).toBeGreaterThanOrEqual(5); // claim, release, reset, reject, settle
    for (const sql of moves) expect({ sql, writes: writesEntityIndex(sql) }).toEqual({ sql, writes: false });
    const sweeps = [...prepared].filter((sql) => /SET confirmed = 1/.test(sql));
    expect(sweeps.length).toBeGreaterThanOrEqual(1);
    for (const sql of sweeps) expect({ sql, writes: writesEntityIndex(sql) }).toEqual({ sql, writes: true });
  });

  it("while a backlog drains, settled rows stay in the index until the sweep, or the next start", () => {
    tillWrites();
    tillWrites(); // two sales; the push below sends part of them
    const outbox = new OutboxStore(db);
    pushRound(outbox, 5);
    expect(readyToSend().length).toBeGreaterThan(0); // a backlog still drains
    // Settled rows stay in the index until enough have gathered; lookups name the status they want.
    expect(inIndex()).toEqual(expect.arrayContaining(unconfirmed()));
    expect(inIndex().length).toBeGreaterThan(unconfirmed().length);
    const queued = unconfirmed().length;
    expect(listPending(db)).toHaveLength(queued);
    outbox.resetInFlight(); // a start sweeps what a process left
    expect(inIndex()).toEqual(unconfirmed());
  });

  it("an online till: a push that leaves nothing to send takes its rows out of the index at once", () => {
    tillWrites();
    const outbox = new OutboxStore(db);
    const sent = outbox.claimBatch(100, 0);
    expect(sent.length).toBe(5); // the whole sale
    outbox.recordResults(
      sent,
      sent.map((r) => ({ changeId: r.change_id, status: "APPLIED", version: 2 }) as PushResult),
      RETRY,
    );
    expect(unconfirmed()).toEqual([]);
    expect(inIndex()).toEqual([]);
    // The next sale's push does the same; the index never holds more than the sale in flight.
    tillWrites();
    const next = outbox.claimBatch(100, 0);
    expect(inIndex()).toHaveLength(next.length);
    outbox.recordResults(
      next,
      next.map((r) => ({ changeId: r.change_id, status: "APPLIED", version: 2 }) as PushResult),
      RETRY,
    );
    expect(inIndex()).toEqual([]);
  });

  it("a batch answered while another is in flight leaves the sweep to the last answer", () => {
    tillWrites();
    tillWrites();
    const outbox = new OutboxStore(db);
    const first = outbox.claimBatch(5, 0);
    const second = outbox.claimBatch(100, 0, first);
    expect(second.length).toBeGreaterThan(0);
    const applied = (rows: typeof first) =>
      rows.map((r) => ({ changeId: r.change_id, status: "APPLIED", version: 2 }) as PushResult);
    outbox.recordResults(first, applied(first), RETRY);
    expect(inIndex()).toEqual(expect.arrayContaining(first.map((r) => ({ id: r.id })))); // settled, still indexed
    outbox.recordResults(second, applied(second), RETRY);
    // Drain what the second batch held back; the last answer leaves nothing to send and sweeps.
    for (let rest = outbox.claimBatch(100, 0); rest.length > 0; rest = outbox.claimBatch(100, 0))
      outbox.recordResults(rest, applied(rest), RETRY);
    expect(readyToSend()).toEqual([]);
    expect(inIndex()).toEqual([]);
  });

  it("the readiness check a cycle makes up to three times is prepared once per connection", () => {
    const outbox = new OutboxStore(db);
    const prepare = db.prepare.bind(db);
    let readiness = 0;
    db.prepare = ((sql: string) => {
      if (/^SELECT 1 FROM outbox WHERE status = 'PENDING'/.test(sql)) readiness++;
      return prepare(sql);
    }) as typeof db.prepare;
    for (let i = 0; i < 3; i++) outbox.hasReady(0);
    expect(readiness).toBeLessThanOrEqual(1);
  });

  it("the confirm sweep takes settled rows out of the index once enough have gathered", () => {
    tillWrites();
    tillWrites(); // a backlog, so only the threshold sweeps
    const outbox = new OutboxStore(db, DEFAULT_SYNC_POLICY, 2);
    pushRound(outbox, 5);
    expect(readyToSend().length).toBeGreaterThan(0);
    expect(inIndex()).toEqual(unconfirmed());
  });
});
