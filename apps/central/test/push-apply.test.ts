import { randomUUID } from "node:crypto";
import { DEFAULT_SYNC_POLICY, type FirstResult } from "@tillsync/shared";
import { change } from "@tillsync/testkit";
import type { AppliedRecord, NewAppliedRecord } from "../src/store/applied-changes";
import type { Row } from "../src/store/synced-tables";
import { applyPush, ConcurrentDuplicate, type PushStore, type PushTx } from "../src/sync/push-apply";

/**
 * The push's orchestration against a store double (the store is passed in for this): the
 * retry when a concurrent push recorded a change first, and what is recorded. The real race
 * against PostgreSQL is push-exactly-once.test.ts ("applies a change once when the same push
 * races itself").
 */

const terminal = { id: randomUUID(), storeId: randomUUID(), name: "Till" };

interface Double extends PushStore {
  transactions: number;
  /** Calls of tables.lockRows, with the ids locked. */
  locks: string[][];
  /** Calls of tables.readRows, with the table and the ids read. */
  reads: Array<[string, string[]]>;
  /** Calls of appliedChanges.lookUp, with the ids asked about. */
  lookUps: string[][];
  /** The committed applied_changes records by key (seed one to stand for an earlier push). */
  applied: Map<string, AppliedRecord>;
  recorded: NewAppliedRecord[][];
  synced: number;
  savepoints: number;
}

/** applied_changes' key: a change id is unique per terminal. */
const key = (terminalId: string, changeId: string) => `${terminalId}:${changeId}`;

/**
 * A store whose `applied_changes` is a map by (terminal, change id). When `race(attempt)` holds, that transaction's record
 * find the first change id taken by "another" push (recorded with `theirs`), as PostgreSQL's
 * ON CONFLICT DO NOTHING would after that push committed.
 */
function storeDouble(
  race: (attempt: number) => boolean,
  theirs?: FirstResult,
  world: { missingOrders?: ReadonlySet<string>; existing?: Map<string, Row> } = {},
): Double {
  const missingOrders = world.missingOrders ?? new Set<string>();
  const existing = world.existing ?? new Map<string, Row>();
  const applied = new Map<string, AppliedRecord>();
  const d: Double = {
    transactions: 0,
    lookUps: [],
    locks: [],
    reads: [],
    applied,
    recorded: [],
    synced: 0,
    savepoints: 0,
    async transaction(fn) {
      const attempt = ++d.transactions;
      // This transaction's own records become visible only when it commits (fn resolves).
      const mine = new Map<string, AppliedRecord>();
      const tx: PushTx = {
        tables: {
          lockRows: async (_t, ids) => {
            d.locks.push(ids);
            return new Map(ids.flatMap((id) => (existing.has(id) ? [[id, existing.get(id)!]] : [])));
          },
          // Every order asked about is this terminal's, but `missingOrders` (children's ownership reads their parents).
          readRows: async (p, ids) => {
            d.reads.push([p.table, ids]);
            return new Map(
              p.table === "sale_orders"
                ? ids
                    .filter((id) => !missingOrders.has(id))
                    .map((id) => [id, { id, terminal_id: terminal.id, store_id: terminal.storeId }])
                : ids.flatMap((id) => (existing.has(id) ? [[id, existing.get(id)!]] : [])),
            );
          },
          upsertRows: async (_p, rows) => new Map(rows.map((r) => [String(r.id), 1])),
          insertRows: async (_p, rows) =>
            new Map(rows.filter((r) => !existing.has(String(r.id))).map((r) => [String(r.id), 1])),
          appendRows: async (_p, _c, rows) =>
            new Map(rows.filter((r) => !existing.has(String(r.id))).map((r) => [String(r.id), 1])),
          deleteRows: async () => undefined,
        },
        control: {
          gate: async () => ({ emergency: { stopped: false, since: null, reason: null }, pause: null }),
        },
        appliedChanges: {
          lookUp: async (terminalId, ids) => {
            d.lookUps.push(ids);
            return ids.flatMap((id) => applied.get(key(terminalId, id)) ?? []);
          },
          versionsProducedBy: async () => [],
          async record(terminalId, records) {
            d.recorded.push(records);
            let fresh = 0;
            records.forEach((r, i) => {
              if (applied.has(key(terminalId, r.changeId))) return; // recorded by an earlier push
              if (i === 0 && race(attempt)) {
                // The other push committed first: its record stays, whatever happens to this one.
                applied.set(key(terminalId, r.changeId), { changeId: r.changeId, result: theirs ?? r.result });
                return;
              }
              mine.set(key(terminalId, r.changeId), { changeId: r.changeId, result: r.result });
              fresh++;
            });
            return fresh;
          },
        },
        conflicts: { book: async () => undefined },
        terminals: {
          markSynced: async () => void d.synced++,
        },
        savepoint: (f) => {
          d.savepoints++;
          return f();
        },
      };
      const out = await fn(tx);
      for (const [id, r] of mine) applied.set(id, r);
      return out;
    },
  };
  return d;
}

describe("applyPush with a store passed in", () => {
  it("judges the batch again when a concurrent push recorded one of its ids first: that one is a DUPLICATE", async () => {
    const a = change("customers", { name: "A" });
    const b = change("customers", { name: "B" });
    const theirs: FirstResult = { changeId: a.changeId, status: "APPLIED", version: 7 } as FirstResult;
    const store = storeDouble((attempt) => attempt === 1, theirs);
    const results = await applyPush(store, DEFAULT_SYNC_POLICY, terminal, [a, b]);
    expect(store.transactions).toBe(2);
    expect(results[0]).toEqual({ changeId: a.changeId, status: "DUPLICATE", original: theirs });
    expect(results[1]).toMatchObject({ changeId: b.changeId, status: "APPLIED" });
  });

  it("gives up after four attempts (one optimistic, three looking up first) rather than loop", async () => {
    // Every attempt loses the race for another of its ids.
    const store = storeDouble(() => true);
    const batch = ["A", "B", "C", "D"].map((name) => change("customers", { name }));
    await expect(applyPush(store, DEFAULT_SYNC_POLICY, terminal, batch)).rejects.toThrow(ConcurrentDuplicate);
    expect(store.transactions).toBe(4);
  });

  it("writes a batch of new changes without looking its ids up: the record's insert proves them new", async () => {
    const store = storeDouble(() => false);
    const batch = ["A", "B", "C"].map((name) => change("customers", { name }));
    const results = await applyPush(store, DEFAULT_SYNC_POLICY, terminal, batch);
    expect(results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "APPLIED"]);
    expect(store.transactions).toBe(1);
    expect(store.lookUps).toEqual([]);
  });

  it("writes a batch that raises no row-level error in no savepoint (each costs two round trips)", async () => {
    const store = storeDouble(() => false);
    const batch = ["A", "B", "C"].map((name) => change("customers", { name }));
    await applyPush(store, DEFAULT_SYNC_POLICY, terminal, batch);
    expect(store.transactions).toBe(1);
    expect(store.savepoints).toBe(0);
  });

  it("answers a resent batch DUPLICATE: the optimistic attempt finds its ids taken and rolls back, the next looks them up", async () => {
    const store = storeDouble(() => false);
    const batch = ["A", "B"].map((name) => change("customers", { name }));
    const first = await applyPush(store, DEFAULT_SYNC_POLICY, terminal, batch);
    const again = await applyPush(store, DEFAULT_SYNC_POLICY, terminal, batch);
    expect(again).toEqual(first.map((r) => ({ changeId: r.changeId, status: "DUPLICATE", original: r })));
    expect(store.transactions).toBe(3);
    // The push, the resend's optimistic attempt (rolled back), the judgement again (nothing new).
    expect(store.recorded.map((r) => r.length)).toEqual([2, 2, 0]);
  });

  it("answers DUPLICATE, not REJECTED, for a change applied before that would be refused now (G1)", async () => {
    // The payment was applied by an earlier push; its order has gone from central since, so
    // judged afresh it would be REJECTED (parent missing), and a rejected change is not recorded.
    const orderId = randomUUID();
    const payment = change("payments", { order_id: orderId, method: "CASH", amount_cents: 1 });
    const store = storeDouble(() => false, undefined, { missingOrders: new Set([orderId]) });
    const original = { changeId: payment.changeId, status: "APPLIED", version: 1 } as FirstResult;
    store.applied.set(key(terminal.id, payment.changeId), { changeId: payment.changeId, result: original });
    const results = await applyPush(store, DEFAULT_SYNC_POLICY, terminal, [payment]);
    expect(results).toEqual([{ changeId: payment.changeId, status: "DUPLICATE", original }]);
    expect(store.transactions).toBe(2);
    expect(store.lookUps).toEqual([[payment.changeId], [payment.changeId]]);
  });

  it("records applied changes only (a rejected one is judged afresh when retried), and marks the terminal synced", async () => {
    const good = change("customers", { name: "ok" });
    const bad = change("customers", { name: 42 });
    const orphan = change("payments", { order_id: randomUUID(), method: "CASH", amount_cents: 1 });
    const store = storeDouble(() => false);
    // The double holds every parent, owned by this terminal.
    const results = await applyPush(store, DEFAULT_SYNC_POLICY, terminal, [good, bad, orphan]);
    expect(results.map((r) => r.status)).toEqual(["APPLIED", "REJECTED", "APPLIED"]);
    expect(store.recorded).toHaveLength(1);
    expect(store.recorded[0]!.map((r) => r.changeId)).toEqual([good.changeId, orphan.changeId]);
    expect(store.synced).toBe(1);
  });

  it("inserts new rows without locking first; only a row central holds already takes the locked path", async () => {
    const fresh = change("customers", { name: "new" });
    const held = change("customers", { name: "held" }, { operation: "UPDATE", baseVersion: 3 });
    const existing = new Map<string, Row>([[held.entityId, { id: held.entityId, name: "old", version: 3 }]]);
    const store = storeDouble(() => false, undefined, { existing });
    const results = await applyPush(store, DEFAULT_SYNC_POLICY, terminal, [fresh, held]);
    expect(results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED"]);
    expect(store.locks).toEqual([[held.entityId]]);
  });

  it("appends new append-only rows without reading them first; only a row central holds is read, to tell whose it is", async () => {
    const adjustment = () =>
      change("inventory_adjustments", {
        store_id: terminal.storeId,
        product_id: randomUUID(),
        delta: -1,
        reason: "SALE",
      });
    const fresh = adjustment();
    const held = adjustment(); // appended by this till before, under another change id
    const theirs = adjustment(); // another till's
    const row = (c: typeof fresh, terminalId: string) => ({
      ...c.data,
      id: c.entityId,
      terminal_id: terminalId,
      version: 1,
    });
    const existing = new Map<string, Row>([
      [held.entityId, row(held, terminal.id)],
      [theirs.entityId, row(theirs, randomUUID())],
    ]);
    const store = storeDouble(() => false, undefined, { existing });
    const results = await applyPush(store, DEFAULT_SYNC_POLICY, terminal, [fresh, held, theirs]);
    expect(results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "REJECTED"]);
    expect(results[2]).toMatchObject({ reason: expect.stringMatching(/belongs to terminal/) });
    expect(store.reads).toEqual([["inventory_adjustments", [held.entityId, theirs.entityId]]]);
  });
});
