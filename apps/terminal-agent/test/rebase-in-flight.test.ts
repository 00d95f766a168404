import { randomUUID } from "node:crypto";
import { Priority, type PushResult } from "@tillsync/shared";
import type { SqliteDb } from "../src/db/terminal-db";
import { retryFailed } from "../src/outbox/outbox-maintenance";
import type { OutboxRow, OutboxStore } from "../src/outbox/outbox-store";
import { memoryTill } from "./support/memory-till";

/**
 * A later change of a row whose batch is in flight is rebased onto the version central gives
 * (OutboxStore.rebaseLaterChanges), whichever way it appeared while the batch was out: captured
 * after the claim (it sits in the captured tail, above the claim's max(id)), or a FAILED later
 * change that `retry-failed` turned back into PENDING. A guard for any shortcut of the rebase
 * lookup: skipping it for rows alone in the entity index at their claim (issue 15, round 11,
 * bench/README.md) failed these when it ignored max(id) or probed only queued statuses.
 */

const RETRY = { maxAttempts: 5, backoffBaseMs: 1000, backoffCapMs: 60_000 };
const storeId = randomUUID();

let db: SqliteDb;
let outbox: OutboxStore;

beforeEach(() => ({ db, outbox } = memoryTill(randomUUID())));

afterEach(() => db.close());

function order(): string {
  const id = randomUUID();
  db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 100)`).run(
    id,
    storeId,
  );
  return id;
}

const edit = (id: string, cents: number) =>
  db.prepare(`UPDATE sale_orders SET total_cents = ? WHERE id = ?`).run(cents, id);

const outboxOf = (id: string) =>
  db
    .prepare(`SELECT * FROM outbox WHERE entity_type = 'sale_orders' AND entity_id = ? ORDER BY id`)
    .all(id) as OutboxRow[];

const applied = (rows: OutboxRow[], version: number): PushResult[] =>
  rows.map((r) => ({ changeId: r.change_id, status: "APPLIED", version }) as PushResult);

describe("rebasing the later changes of a row in flight", () => {
  it("still rebases a change captured after the claim, before the answer", () => {
    const id = order();
    const batch = outbox.claimBatch(100, Priority.BACKGROUND);
    expect(batch.map((r) => r.entity_id)).toEqual([id]); // alone in the index at the claim
    edit(id, 300); // the till edits the order while its CREATE is in flight: a change of its own

    outbox.recordResults(batch, applied(batch, 5), RETRY);

    const rows = outboxOf(id);
    expect(rows.map((r) => [r.operation, r.status])).toEqual([
      ["CREATE", "SYNCED"],
      ["UPDATE", "PENDING"],
    ]);
    expect(rows[1]!.base_version).toBe(5);
  });

  it("still rebases a FAILED later change that retry-failed turns PENDING between the claim and the answer", () => {
    const id = order();
    const first = outbox.claimBatch(100, Priority.BACKGROUND);
    outbox.release(first.map((r) => r.id)); // sent, unanswered: the next edit is a change of its own
    edit(id, 300);
    const both = outbox.claimBatch(100, Priority.BACKGROUND);
    const [created, updated] = both;
    expect([created!.operation, updated!.operation]).toEqual(["CREATE", "UPDATE"]);
    // Central rejects the UPDATE for good and its CREATE's answer is lost: the CREATE goes again alone.
    const rejected: PushResult[] = [{ changeId: updated!.change_id, status: "REJECTED", reason: "no" } as PushResult];
    outbox.recordResults(both, rejected, { ...RETRY, maxAttempts: 1 });
    outbox.release([created!.id]);
    const batch = outbox.claimBatch(100, Priority.BACKGROUND);
    expect(batch.map((r) => r.id)).toEqual([created!.id]);
    expect(outboxOf(id).map((r) => r.status)).toEqual(["SYNCING", "FAILED"]);

    expect(retryFailed(db)).toBe(1); // the operator, while the CREATE is in flight
    outbox.recordResults(batch, applied(batch, 7), RETRY);

    const rows = outboxOf(id);
    expect(rows.map((r) => r.status)).toEqual(["SYNCED", "PENDING"]);
    expect(rows[1]!.base_version).toBe(7);
  });
});
