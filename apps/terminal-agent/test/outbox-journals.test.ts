import { randomUUID } from "node:crypto";
import { Priority, type PushResult } from "@tillsync/shared";
import type { SqliteDb } from "../src/db/terminal-db";
import type { OutboxRow, OutboxStore } from "../src/outbox/outbox-store";
import { memoryTill } from "./support/memory-till";

/**
 * The push's record-and-claim commit writes no page twice for SQLite's own rollback journals
 * (issue 15): the multi-row outbox UPDATEs of the hot path need no statement journal
 * (NO_STATEMENT_JOURNAL, outbox-status-sql.ts) and the steps inside OutboxStore.atomically open
 * no savepoints (joinTransaction, db/terminal-db.ts); each copied every page it wrote into the
 * sub-journal first. The commit stays all or nothing.
 */

const RETRY = { maxAttempts: 5, backoffBaseMs: 1000, backoffCapMs: 60_000 };
const storeId = randomUUID();
const productId = randomUUID();

let db: SqliteDb;
let outbox: OutboxStore;
/** Every SQL text the agent's connection prepared during the test. */
let prepared: string[];

beforeEach(() => {
  ({ db, outbox } = memoryTill(productId));
  prepared = [];
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    prepared.push(sql);
    return prepare(sql);
  }) as typeof db.prepare;
});

afterEach(() => db.close());

function sales(n: number): void {
  for (let i = 0; i < n; i++) {
    const order = randomUUID();
    db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 100)`).run(
      order,
      storeId,
    );
    db.prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CASH', 100)`).run(
      randomUUID(),
      order,
    );
  }
}

const applied = (rows: OutboxRow[]): PushResult[] =>
  rows.map((r) => ({ changeId: r.change_id, status: "APPLIED", version: 3 }) as PushResult);

const statuses = () =>
  (
    db.prepare(`SELECT status, count(*) AS n FROM outbox GROUP BY status ORDER BY status`).all() as Array<{
      status: string;
      n: number;
    }>
  ).map((r) => `${r.status} ${r.n}`);

/**
 * Opcodes after which SQLite must be able to undo a statement alone (its `mayAbort`): a NOT NULL
 * or other constraint check that aborts (P2 = 2, OE_Abort) and SQL function calls. A multi-row
 * write inside a transaction gets a statement journal when its bytecode holds any of them.
 */
function abortingOps(sql: string): string[] {
  const ops = db
    .prepare(`EXPLAIN ${sql}`)
    .all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null)) as Array<{
    opcode: string;
    p2: number;
  }>;
  return ops
    .filter(
      (o) =>
        ((o.opcode === "HaltIfNull" || o.opcode === "Halt") && o.p2 === 2) ||
        o.opcode === "Function" ||
        o.opcode === "PureFunc",
    )
    .map((o) => o.opcode);
}

it("the claim, the set-based settle and the confirm sweep need no statement journal", () => {
  sales(10);
  const batch = outbox.claimBatch(100, Priority.BACKGROUND);
  // Nothing else to send after this answer: the sweep runs in the same recording.
  outbox.recordResults(batch, applied(batch), RETRY);
  expect(statuses()).toEqual(["SYNCED 20"]);
  const hot = [
    prepared.find((s) => /UPDATE [^]*outbox SET status = 'SYNCING'/.test(s)),
    prepared.find((s) => /UPDATE [^]*outbox SET status = 'SYNCED'/.test(s)),
    prepared.find((s) => /UPDATE [^]*outbox SET confirmed = 1 WHERE id IN \(SELECT value FROM json_each/.test(s)),
  ];
  expect(hot.every(Boolean)).toBe(true);
  for (const sql of hot) expect({ sql, ops: abortingOps(sql!) }).toEqual({ sql, ops: [] });
});

it("recording an answer and claiming the next batch inside atomically open one transaction, no savepoints", () => {
  sales(10);
  const first = outbox.claimBatch(6, Priority.BACKGROUND);
  const transaction = jest.spyOn(db, "transaction");
  let next: OutboxRow[] = [];
  outbox.atomically(() => {
    outbox.recordResults(first, applied(first), RETRY);
    next = outbox.claimBatch(6, Priority.BACKGROUND, []);
  });
  // better-sqlite3 turns a transaction function called inside another into a SAVEPOINT.
  expect(transaction).toHaveBeenCalledTimes(1);
  transaction.mockRestore();
  expect(first).toHaveLength(6);
  expect(next).toHaveLength(6);
  expect(statuses()).toEqual(["PENDING 8", "SYNCED 6", "SYNCING 6"]);
});

it("a throw after the answer was recorded rolls the recording and the claim back together", () => {
  sales(10);
  const first = outbox.claimBatch(6, Priority.BACKGROUND);
  expect(() =>
    outbox.atomically(() => {
      outbox.recordResults(first, applied(first), RETRY);
      outbox.claimBatch(6, Priority.BACKGROUND, []);
      throw new Error("claim failed");
    }),
  ).toThrow("claim failed");
  expect(statuses()).toEqual(["PENDING 14", "SYNCING 6"]);
  expect(db.inTransaction).toBe(false);
  expect((db.prepare(`SELECT applying FROM capture_control WHERE id = 1`).get() as { applying: number }).applying).toBe(
    0,
  );
  // Outside atomically each step has its own transaction again.
  outbox.recordResults(first, applied(first), RETRY);
  expect(statuses()).toEqual(["PENDING 14", "SYNCED 6"]);
});
