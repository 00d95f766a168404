import { randomUUID } from "node:crypto";
import {
  DEFAULT_SYNC_POLICY,
  resolvePolicy,
  type ConflictOutcomeKind,
  type ConflictStrategy,
  type PushChange,
  type SyncPolicy,
  type SyncTable,
} from "@tillsync/shared";
import { change } from "@tillsync/testkit";
import type { AppliedRecord } from "../src/store/applied-changes";
import type { Row } from "../src/store/synced-tables";
import { decide, type Decision } from "../src/sync/push-decision";
import { splitDuplicates } from "../src/sync/push-duplicates";
import { judgeOwnership, parentIdsToRead } from "../src/sync/push-ownership";
import { prepareBatch, prepareChange, type PreparedChange } from "../src/sync/push-prepare";
import { decideRound, ownKey, ownVersionCandidates, rounds, settleRound } from "../src/sync/push-round";

/**
 * The push's decision rules as pure functions, without a database: what central does with a
 * change given the row it holds. Exactly-once against PostgreSQL is push-exactly-once.test.ts.
 */

const terminal = { id: randomUUID(), storeId: randomUUID(), name: "Till" };

function prepared(policy: SyncPolicy, c: PushChange): PreparedChange {
  const p = prepareChange(policy, terminal, c);
  if (!p.ok) throw new Error(`expected ${c.entityType} to pass validation: ${JSON.stringify(p.result)}`);
  return p.value;
}

/** Central's row at `version` for the change's entity, with these fields. */
function centralRow(c: PushChange, version: number, fields: Row = {}): Map<string, Row> {
  return new Map([[c.entityId, { ...c.data, id: c.entityId, ...fields, version }]]);
}

/** Decides one change alone in its round against central's rows. */
function decideOne(policy: SyncPolicy, c: PushChange, current: Map<string, Row>, own = new Set<string>()) {
  const plan = decideRound(policy[c.entityType], [prepared(policy, c)], current, own);
  return { plan, decision: plan.steps[0]!.decision };
}

/** What was decided, in short: the write, and the conflict outcome if any. */
const outcome = (d: Decision) => [d.kind, d.conflict?.resolution];

const orderRow = () => ({ store_id: terminal.storeId, status: "PENDING", total_cents: 100 });
const productRow = () => ({ sku: `P-${randomUUID().slice(0, 8)}`, name: "Tea", price_cents: 100 });

/** A stale update and a stale delete (central moved on to version 2 from the terminal's 1) of each strategy's table. */
function staleChanges(strategy: ConflictStrategy): { policy: SyncPolicy; update: PushChange; del: PushChange } {
  const table: SyncTable =
    strategy === "TERMINAL_WINS" ? "sale_orders" : strategy === "MERGE" ? "customers" : "products";
  const policy = resolvePolicy({ [table]: { strategy } });
  const data = table === "sale_orders" ? orderRow() : table === "customers" ? { name: "Ann" } : productRow();
  const update = change(table, data, { operation: "UPDATE", baseVersion: 1 });
  const del = change(table, null, { operation: "DELETE", baseVersion: 1, entityId: update.entityId });
  return { policy, update, del };
}

/** Every strategy against a conflicting update and delete: the compiler demands every cell. */
const STALE: Record<ConflictStrategy, Record<"update" | "delete", [Decision["kind"], ConflictOutcomeKind]>> = {
  TERMINAL_WINS: { update: ["update", "TERMINAL_APPLIED"], delete: ["delete", "TERMINAL_APPLIED"] },
  CENTRAL_WINS: { update: ["keep", "CENTRAL_KEPT"], delete: ["keep", "CENTRAL_KEPT"] },
  MERGE: { update: ["update", "MERGED"], delete: ["keep", "CENTRAL_KEPT"] },
  MANUAL_MERGE: { update: ["keep", "PENDING"], delete: ["keep", "PENDING"] },
};

describe.each(Object.entries(STALE) as Array<[ConflictStrategy, (typeof STALE)[ConflictStrategy]]>)(
  "%s against a row central changed since the terminal saw it",
  (strategy, expected) => {
    it(`update → ${expected.update.join(", ")}; delete → ${expected.delete.join(", ")}`, () => {
      const { policy, update, del } = staleChanges(strategy);
      const current = centralRow(update, 2);
      const u = decideOne(policy, update, current).decision;
      expect(outcome(u)).toEqual(expected.update);
      expect(u.conflict?.strategy).toBe(strategy);
      const d = decideOne(policy, del, current).decision;
      expect(outcome(d)).toEqual(expected.delete);
    });

    it("applies without conflict when the base is central's version", () => {
      const { policy, update, del } = staleChanges(strategy);
      const current = centralRow(update, 1);
      expect(outcome(decideOne(policy, update, current).decision)).toEqual(["update", undefined]);
      expect(decideOne(policy, del, current).decision).toEqual({ kind: "delete" });
    });
  },
);

describe("TERMINAL_WINS (sale_orders)", () => {
  it("writes the terminal's row, answers central's row after the write, and logs central's row before it", () => {
    const { policy, update } = staleChanges("TERMINAL_WINS");
    const current = centralRow(update, 2, { status: "VOIDED" });
    const { plan } = decideOne(policy, update, current);
    expect(plan.upserts).toEqual([expect.objectContaining({ id: update.entityId, status: "PENDING" })]);
    expect(plan.conflicted).toEqual([update.entityId]);
    const after = centralRow(update, 3, { status: "PENDING" });
    const out = settleRound(plan, {
      current,
      versions: new Map([[update.entityId, 3]]),
      after,
      newConflictId: () => "c-1",
    });
    expect(out.results).toEqual([
      expect.objectContaining({ status: "CONFLICT", conflictId: "c-1", resolution: "TERMINAL_APPLIED", version: 3 }),
    ]);
    expect((out.results[0] as { centralData: Row }).centralData.status).toBe("PENDING");
    expect(out.conflicts).toEqual([
      expect.objectContaining({ id: "c-1", baseVersion: 1, centralVersion: 2, outcome: "TERMINAL_APPLIED" }),
    ]);
    expect(out.conflicts[0]!.centralData!.status).toBe("VOIDED");
    expect(out.produced).toEqual([[update.entityId, 3]]);
  });

  it("takes a row the terminal created and pushes again without a base as its own (no conflict)", () => {
    const create = change("sale_orders", orderRow());
    expect(outcome(decideOne(DEFAULT_SYNC_POLICY, create, centralRow(create, 4)).decision)).toEqual([
      "update",
      undefined,
    ]);
  });
});

describe("CENTRAL_WINS (products)", () => {
  it("keeps central's row, writes nothing, and answers central's version and row", () => {
    const { policy, update } = staleChanges("CENTRAL_WINS");
    const current = centralRow(update, 2, { price_cents: 150 });
    const { plan } = decideOne(policy, update, current);
    expect(plan.upserts).toEqual([]);
    expect(plan.deletes).toEqual([]);
    const out = settleRound(plan, { current, versions: new Map(), after: current, newConflictId: randomUUID });
    expect(out.results[0]).toMatchObject({ status: "CONFLICT", resolution: "CENTRAL_KEPT", version: 2 });
    expect((out.results[0] as { centralData: Row }).centralData.price_cents).toBe(150);
    expect(out.produced).toEqual([]);
  });

  it("treats a terminal's update without a base of a table central also writes as a conflict", () => {
    const update = change("products", productRow(), { operation: "UPDATE", baseVersion: null });
    expect(decideOne(DEFAULT_SYNC_POLICY, update, centralRow(update, 1)).decision.conflict).toMatchObject({
      resolution: "CENTRAL_KEPT",
    });
  });
});

describe("MERGE (customers)", () => {
  const policy = DEFAULT_SYNC_POLICY;
  const id = randomUUID();
  const current = new Map<string, Row>([
    [id, { id, name: "Ann B", email: "a@x", loyalty_points: 120, total_spent_cents: 1500, version: 2 }],
  ]);

  it("adds the terminal's delta of each merge field to central's value; other fields keep central's", () => {
    const update = change(
      "customers",
      { name: "Annie", email: "a@x", loyalty_points: 130, total_spent_cents: 1300 },
      {
        entityId: id,
        operation: "UPDATE",
        baseVersion: 1,
        baseData: { id, name: "Ann", email: "a@x", loyalty_points: 100, total_spent_cents: 1000 },
      },
    );
    const { plan, decision } = decideOne(policy, update, current);
    expect(decision.conflict).toEqual({ strategy: "MERGE", resolution: "MERGED" });
    // 120 + (130 − 100) and 1500 + (1300 − 1000); the name stays central's.
    expect(plan.upserts).toEqual([{ id, name: "Ann B", email: "a@x", loyalty_points: 150, total_spent_cents: 1800 }]);
  });

  it("adds the delta also without a conflict: a terminal's value is not central's (G4)", () => {
    // Based on central's version 2, but the till showed 120 + 10 of its own still in flight
    // (sent in an earlier change) when it added 5 more: only the 5 is this change's.
    const update = change(
      "customers",
      { name: "Annie", email: "a@x", loyalty_points: 135, total_spent_cents: 1500 },
      {
        entityId: id,
        operation: "UPDATE",
        baseVersion: 2,
        baseData: { id, name: "Ann B", email: "a@x", loyalty_points: 130, total_spent_cents: 1500 },
      },
    );
    const { plan, decision } = decideOne(policy, update, current);
    expect(decision.conflict).toBeUndefined();
    // 120 + (135 − 130); the terminal's other fields apply, as without a conflict they should.
    expect(plan.upserts).toEqual([{ id, name: "Annie", email: "a@x", loyalty_points: 125, total_spent_cents: 1500 }]);
  });

  it("keeps central's value of a merge field when the terminal sent no base (its delta is unknowable)", () => {
    const update = change(
      "customers",
      { name: "Annie", loyalty_points: 999 },
      { entityId: id, operation: "UPDATE", baseVersion: 1 },
    );
    expect(decideOne(policy, update, current).plan.upserts[0]).toMatchObject({ loyalty_points: 120, name: "Ann B" });
  });
});

describe("MANUAL_MERGE (an operator's override)", () => {
  it("holds the change as a PENDING conflict and leaves central's row alone", () => {
    const { policy, update } = staleChanges("MANUAL_MERGE");
    const current = centralRow(update, 2);
    const { plan } = decideOne(policy, update, current);
    expect(plan.upserts).toEqual([]);
    const out = settleRound(plan, { current, versions: new Map(), after: current, newConflictId: () => "held" });
    expect(out.conflicts).toEqual([
      expect.objectContaining({ id: "held", outcome: "PENDING", strategy: "MANUAL_MERGE" }),
    ]);
    expect(out.results[0]).toMatchObject({ status: "CONFLICT", resolution: "PENDING", version: 2 });
  });
});

describe("append-only (inventory_adjustments)", () => {
  const adjustment = () =>
    change("inventory_adjustments", {
      store_id: terminal.storeId,
      product_id: randomUUID(),
      delta: -3,
      reason: "SALE",
    });

  it("always appends: the insert itself skips an id central already has", () => {
    const a = adjustment();
    const { plan, decision } = decideOne(DEFAULT_SYNC_POLICY, a, new Map());
    expect(decision.kind).toBe("insert");
    expect(plan.upserts).toEqual([expect.objectContaining({ id: a.entityId, delta: -3, terminal_id: terminal.id })]);
    // A repeat the writer did not insert (no version back) is answered APPLIED at version 0, with no conflict.
    const out = settleRound(plan, {
      current: new Map(),
      versions: new Map(),
      after: new Map(),
      newConflictId: randomUUID,
    });
    expect(out.results).toEqual([{ changeId: a.changeId, status: "APPLIED", version: 0 }]);
  });

  it("keeps a row it holds already, and rejects updates and deletes before any database work", () => {
    const a = adjustment();
    expect(
      decide({
        policy: DEFAULT_SYNC_POLICY.inventory_adjustments,
        operation: "CREATE",
        row: {},
        baseRow: null,
        baseVersion: null,
        current: {},
      }),
    ).toEqual({ kind: "keep" });
    for (const operation of ["UPDATE", "DELETE"] as const) {
      const r = prepareChange(DEFAULT_SYNC_POLICY, terminal, { ...a, operation });
      expect(r).toMatchObject({ ok: false, result: { status: "REJECTED", retryable: false } });
      expect(!r.ok && r.result.status === "REJECTED" && r.result.reason).toMatch(/append-only/);
    }
  });
});

describe("deletes", () => {
  it("of a row central does not hold: nothing to do, answered APPLIED at version 0", () => {
    const del = change("sale_orders", null, { operation: "DELETE", baseVersion: 1 });
    const { plan, decision } = decideOne(DEFAULT_SYNC_POLICY, del, new Map());
    expect(decision).toEqual({ kind: "keep" });
    expect(plan.deletes).toEqual([]);
    const out = settleRound(plan, {
      current: new Map(),
      versions: new Map(),
      after: new Map(),
      newConflictId: randomUUID,
    });
    expect(out.results).toEqual([{ changeId: del.changeId, status: "APPLIED", version: 0 }]);
  });

  it("of an unchanged row: deleted, answered one version past central's", () => {
    const del = change("sale_orders", null, { operation: "DELETE", baseVersion: 4 });
    const current = new Map<string, Row>([[del.entityId, { id: del.entityId, version: 4 }]]);
    const { plan } = decideOne(DEFAULT_SYNC_POLICY, del, current);
    expect(plan.deletes).toEqual([del.entityId]);
    const out = settleRound(plan, { current, versions: new Map(), after: new Map(), newConflictId: randomUUID });
    expect(out.results).toEqual([{ changeId: del.changeId, status: "APPLIED", version: 5 }]);
  });

  it("of a row central changed since: kept under CENTRAL_WINS, deleted under TERMINAL_WINS", () => {
    const stale = (table: "products" | "sale_orders") => change(table, null, { operation: "DELETE", baseVersion: 1 });
    const p = stale("products");
    const o = stale("sale_orders");
    expect(decideOne(DEFAULT_SYNC_POLICY, p, centralRow(p, 3)).plan.deletes).toEqual([]);
    expect(decideOne(DEFAULT_SYNC_POLICY, o, centralRow(o, 3)).plan.deletes).toEqual([o.entityId]);
  });
});

describe("a terminal never conflicts with itself", () => {
  const policy = resolvePolicy({ products: { strategy: "MANUAL_MERGE" } });
  const update = change("products", productRow(), { operation: "UPDATE", baseVersion: 1 });
  const current = centralRow(update, 2);

  it("does not conflict when central's version is one this terminal's earlier change produced", () => {
    const own = new Set([ownKey(update.entityId, 2)]);
    expect(outcome(decideOne(policy, update, current, own).decision)).toEqual(["update", undefined]);
    expect(decideOne(policy, update, current).decision.conflict?.resolution).toBe("PENDING");
  });

  it("knows versions produced earlier in the batch, and asks applied_changes only about the other stale rows", () => {
    const fresh = change("products", productRow(), { operation: "UPDATE", baseVersion: 5 });
    const other = change("products", productRow(), { operation: "UPDATE", baseVersion: 1 });
    const round = [update, fresh, other].map((c) => prepared(policy, c));
    const rows = new Map([...current, ...centralRow(fresh, 5), ...centralRow(other, 7)]);
    const { own, suspects } = ownVersionCandidates(round, rows, new Map([[update.entityId, 2]]));
    expect([...own]).toEqual([ownKey(update.entityId, 2)]);
    expect(suspects).toEqual([other.entityId]); // `fresh` is not stale: no question asked
  });
});

describe("duplicate change ids", () => {
  it("in one batch: judged once, by the first copy; the second copy is REJECTED in its own place", () => {
    const c = change("customers", { name: "Ann" });
    const { prepared: p, early } = prepareBatch(DEFAULT_SYNC_POLICY, terminal, [c, { ...c }]);
    expect(p.map((x) => x.change.changeId)).toEqual([c.changeId]);
    expect(early[0]).toBeUndefined(); // answered once applied
    expect(early[1]).toMatchObject({ status: "REJECTED", reason: expect.stringMatching(/appears twice in one batch/) });
  });

  it("in one batch, the first copy invalid: it is REJECTED for what is wrong, the second for the repetition", () => {
    const bad = change("customers", { name: 42 });
    const { prepared: p, early } = prepareBatch(DEFAULT_SYNC_POLICY, terminal, [bad, { ...bad }]);
    expect(p).toEqual([]);
    expect(early[0]).toMatchObject({ status: "REJECTED", reason: expect.stringMatching(/name: must be text/) });
    expect(early[1]).toMatchObject({
      status: "REJECTED",
      retryable: false,
      reason: expect.stringMatching(/appears twice in one batch/),
    });
  });

  it("applied before: DUPLICATE with the first result; the rest is fresh", () => {
    const [mine, fresh] = [0, 1].map(() => prepared(DEFAULT_SYNC_POLICY, change("customers", { name: "x" })));
    const first = { changeId: mine!.change.changeId, status: "APPLIED", version: 1 } as AppliedRecord["result"];
    const out = splitDuplicates([mine!, fresh!], [{ changeId: mine!.change.changeId, result: first }]);
    expect(out.fresh).toEqual([fresh]);
    expect(out.results.get(mine!.change.changeId)).toEqual({
      changeId: mine!.change.changeId,
      status: "DUPLICATE",
      original: first,
    });
    expect(out.results.has(fresh!.change.changeId)).toBe(false);
  });
});

describe("merge fields when central was restored from a backup (re-sent in any order)", () => {
  const id = randomUUID();
  const base = { id, name: "Ann", loyalty_points: 3, total_spent_cents: 300 };
  const create = change("customers", { name: "Ann", loyalty_points: 3, total_spent_cents: 300 }, { entityId: id });
  const update = change(
    "customers",
    { name: "Ann", loyalty_points: 7, total_spent_cents: 700 },
    { entityId: id, operation: "UPDATE", baseVersion: 2, baseData: base },
  );

  it("an update of a row central lacks inserts it with that update's own delta only", () => {
    const { decision } = decideOne(DEFAULT_SYNC_POLICY, update, new Map());
    expect(decision).toMatchObject({ kind: "insert", row: { loyalty_points: 4, total_spent_cents: 400 } });
  });

  it("a creation that finds the row adds its values to it, so both orders end at the same sum", () => {
    const current = centralRow(update, 1, { loyalty_points: 4, total_spent_cents: 400 });
    const { decision } = decideOne(DEFAULT_SYNC_POLICY, create, current);
    expect(decision).toMatchObject({ kind: "update", row: { loyalty_points: 7, total_spent_cents: 700 } });
  });
});

describe("rounds and parents", () => {
  it("applies several changes to one row in order, one round each", () => {
    const a = change("customers", { name: "1" });
    const b = change("customers", { name: "other" });
    const a2 = change("customers", { name: "2" }, { entityId: a.entityId, operation: "UPDATE" });
    const r = rounds([a, b, a2].map((c) => prepared(DEFAULT_SYNC_POLICY, c)));
    expect(r.map((round) => round.map((p) => p.change.changeId))).toEqual([[a.changeId, b.changeId], [a2.changeId]]);
  });

  it("rejects a child whose parent central does not hold, as retryable", () => {
    const policy = DEFAULT_SYNC_POLICY.payments;
    const [here, missing] = [randomUUID(), randomUUID()].map((orderId) =>
      prepared(DEFAULT_SYNC_POLICY, change("payments", { order_id: orderId, method: "CASH", amount_cents: 1 })),
    );
    const none = new Map<string, Row>();
    expect(parentIdsToRead(policy, [here!, missing!], none)).toEqual([here!.row!.order_id, missing!.row!.order_id]);
    const hereId = String(here!.row!.order_id);
    const out = judgeOwnership({
      policy,
      terminal,
      round: [here!, missing!],
      current: none,
      parents: {
        policy: DEFAULT_SYNC_POLICY.sale_orders,
        rows: new Map([[hereId, { id: hereId, terminal_id: terminal.id, store_id: terminal.storeId }]]),
      },
    });
    expect(out.live).toEqual([here]);
    expect(out.rejected).toEqual([expect.objectContaining({ status: "REJECTED", retryable: true })]);
    expect(out.refusals).toEqual([]); // not an ownership question: the parent may still come
    expect((out.rejected[0] as { reason: string }).reason).toMatch(/parent sale_orders .* has not reached central yet/);
  });
});

describe("prepare fills columns from the change as the policy says", () => {
  it("sale_orders.created_in_mode comes from the change's createdInMode when the till left it empty", () => {
    const o = change("sale_orders", orderRow(), { createdInMode: "OFFLINE" });
    expect(prepared(DEFAULT_SYNC_POLICY, o).row!.created_in_mode).toBe("OFFLINE");
    const own = change("sale_orders", { ...orderRow(), created_in_mode: "ONLINE" }, { createdInMode: "OFFLINE" });
    expect(prepared(DEFAULT_SYNC_POLICY, own).row!.created_in_mode).toBe("ONLINE");
  });
});

describe("field ownership (products' central fields)", () => {
  const priced = (data: Row, baseVersion: number | null = 1) =>
    change("products", { sku: "FO", name: "Tea", price_cents: 100, ...data }, { operation: "UPDATE", baseVersion });

  it("writes the till's name with central's price and answers which fields central kept", () => {
    const upd = priced({ name: "Green tea", price_cents: 1 });
    const d = decideOne(DEFAULT_SYNC_POLICY, upd, centralRow(upd, 1, { name: "Tea", price_cents: 100 })).decision;
    expect(d).toEqual({
      kind: "update",
      row: expect.objectContaining({ name: "Green tea", price_cents: 100 }),
      conflict: { strategy: "CENTRAL_WINS", resolution: "CENTRAL_KEPT", keptFields: ["price_cents"] },
    });
  });

  it("writes nothing when a central field was all the till changed", () => {
    const upd = priced({ price_cents: 1, active: false });
    const d = decideOne(DEFAULT_SYNC_POLICY, upd, centralRow(upd, 1, { price_cents: 100, active: true })).decision;
    expect(d).toEqual({
      kind: "keep",
      conflict: { strategy: "CENTRAL_WINS", resolution: "CENTRAL_KEPT", keptFields: ["price_cents", "active"] },
    });
  });

  it("holds under MERGE and TERMINAL_WINS overrides, with their own outcome, and lets a new row take its price", () => {
    // MERGE keeps central's other fields on a conflict too, so nothing is left to write.
    for (const [strategy, kind, resolution] of [
      ["MERGE", "keep", "CENTRAL_KEPT"],
      ["TERMINAL_WINS", "update", "TERMINAL_APPLIED"],
    ] as const) {
      const policy = resolvePolicy({ products: { strategy } });
      const upd = priced({ name: "Green tea", price_cents: 1 });
      const d = decideOne(policy, upd, centralRow(upd, 2, { name: "Tea", price_cents: 100 })).decision;
      expect([d.kind, d.conflict?.resolution, d.conflict?.keptFields]).toEqual([kind, resolution, ["price_cents"]]);
      if (d.kind === "update") expect(d.row.price_cents).toBe(100);
    }
    const create = change("products", { sku: "NEW", name: "Till-made", price_cents: 250 });
    expect(decideOne(DEFAULT_SYNC_POLICY, create, new Map()).decision).toEqual({
      kind: "insert",
      row: expect.objectContaining({ price_cents: 250 }),
    });
  });
});

describe("preparing a change", () => {
  it("writes the row without version and defaulted nulls, filled in for the terminal; answers with what the schema accepted", () => {
    const c = change("sale_orders", {
      store_id: terminal.storeId,
      terminal_id: null,
      status: null,
      total_cents: 300,
      created_in_mode: null,
      version: 4,
    });
    const p = prepared(DEFAULT_SYNC_POLICY, { ...c, createdInMode: "OFFLINE" });

    expect(p.row).toEqual({
      id: c.entityId,
      terminal_id: terminal.id,
      store_id: terminal.storeId,
      total_cents: 300,
      created_in_mode: "OFFLINE",
    });
    expect(Object.keys(p.row!)).not.toContain("status");
    // The change as answered and logged: the schema's row, not filled in from the terminal or the envelope.
    expect(p.change.data).toMatchObject({ terminal_id: null, status: null, created_in_mode: null, version: 4 });
    expect(p.change.data).not.toBe(p.row);
  });
});
