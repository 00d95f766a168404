import type { ConflictId, FirstResult, TablePolicy } from "@tillsync/shared";
import type { ConflictEntry } from "../store/conflicts";
import type { Row } from "../store/synced-tables";
import { decide, type Decision } from "./push-decision";
import type { PreparedChange } from "./push-prepare";

/**
 * Step 3 of a push, pure: deciding one round of one table. A round touches each row at most
 * once; central's current rows (locked) and the versions this terminal produced come in, a
 * plan of writes goes out (decideRound), and once the writes are done the plan and their
 * versions become the changes' results and conflict-log entries (settleRound).
 * sync/push-write-round.ts runs the database side around these.
 */

export interface RoundPlan {
  /** Rows to insert or update (for append-only tables: to append). */
  upserts: Row[];
  deletes: string[];
  /** Every change of the round with what was decided for it, in order. */
  steps: Array<{ change: PreparedChange; decision: Decision }>;
  /** Rows that met a conflict: re-read after the writes, for central's side of the answer. */
  conflicted: string[];
}

export interface RoundOutcome {
  results: FirstResult[];
  conflicts: ConflictEntry[];
  /** Versions this terminal's changes produced in this round, per row. */
  produced: Array<[string, number]>;
}

/** Splits one table's changes so each round touches a row at most once, keeping their order. */
export function rounds(changes: PreparedChange[]): PreparedChange[][] {
  const out: PreparedChange[][] = [];
  const count = new Map<string, number>();
  for (const c of changes) {
    const n = count.get(c.change.entityId) ?? 0;
    count.set(c.change.entityId, n + 1);
    (out[n] ??= []).push(c);
  }
  return out;
}

export function rejected(c: PreparedChange, reason: string, retryable = false): FirstResult {
  return { changeId: c.change.changeId, status: "REJECTED", reason, retryable };
}

/** The key of "row `id` at `version`" in the set of versions a terminal produced. */
export const ownKey = (id: string, version: unknown): string => `${id}:${Number(version)}`;

/**
 * Which rows of the round would conflict (the change's base is not central's version) but may
 * hold a version this same terminal produced: known at once when an earlier round of this
 * batch produced it (`own`), to be looked up in applied_changes otherwise (`suspects`). Only
 * rows that would conflict are asked about, so the common path costs no query.
 */
export function ownVersionCandidates(
  round: PreparedChange[],
  current: ReadonlyMap<string, Row>,
  produced: ReadonlyMap<string, number>,
): { own: Set<string>; suspects: string[] } {
  const own = new Set<string>();
  const suspects: string[] = [];
  for (const c of round) {
    const cur = current.get(c.change.entityId);
    if (!cur || c.change.baseVersion === null || c.change.baseVersion === Number(cur.version)) continue;
    if (produced.get(c.change.entityId) === Number(cur.version)) own.add(ownKey(c.change.entityId, cur.version));
    else suspects.push(c.change.entityId);
  }
  return { own, suspects };
}

/** Decides every change of the round against central's rows (see push-decision.ts). */
export function decideRound(
  policy: TablePolicy,
  round: PreparedChange[],
  current: ReadonlyMap<string, Row>,
  own: ReadonlySet<string>,
): RoundPlan {
  const plan: RoundPlan = { upserts: [], deletes: [], steps: [], conflicted: [] };
  for (const c of round) {
    const id = c.change.entityId;
    const cur = current.get(id);
    const decision = decide({
      policy,
      operation: c.change.operation,
      row: c.row,
      baseRow: c.baseRow,
      // A terminal never conflicts with itself: if central's version is one this terminal's
      // own earlier change produced, this change was made on top of it.
      baseVersion: cur && own.has(ownKey(id, cur.version)) ? Number(cur.version) : c.change.baseVersion,
      current: cur,
    });
    if (decision.kind === "insert" || decision.kind === "update") plan.upserts.push({ id, ...decision.row });
    if (decision.kind === "delete") plan.deletes.push(id);
    if (decision.conflict) plan.conflicted.push(id);
    plan.steps.push({ change: c, decision });
  }
  return plan;
}

/**
 * Turns a written plan into results. `versions` are what the writes returned per row; a row
 * they did not return kept its version (or, deleted, is one past it). `current` is central's
 * row before (logged as central's side of a conflict), `after` after the writes (answered to
 * the terminal, which takes it over).
 */
export function settleRound(
  plan: RoundPlan,
  written: {
    current: ReadonlyMap<string, Row>;
    versions: ReadonlyMap<string, number>;
    after: ReadonlyMap<string, Row>;
    newConflictId: () => string;
  },
): RoundOutcome {
  const out: RoundOutcome = { results: [], conflicts: [], produced: [] };
  for (const { change: c, decision: d } of plan.steps) {
    const { changeId, entityId: id } = c.change;
    const cur = written.current.get(id);
    const version =
      written.versions.get(id) ?? (d.kind === "delete" ? Number(cur?.version ?? 0) + 1 : Number(cur?.version ?? 0));
    if (d.kind === "insert" || d.kind === "update") out.produced.push([id, version]);
    if (!d.conflict) {
      out.results.push({ changeId, status: "APPLIED", version });
      continue;
    }
    const conflictId = written.newConflictId();
    const centralData = written.after.get(id) ?? null;
    out.conflicts.push({
      id: conflictId,
      changeId,
      entityType: c.change.entityType,
      entityId: id,
      strategy: d.conflict.strategy,
      outcome: d.conflict.resolution,
      baseVersion: c.change.baseVersion,
      centralVersion: cur ? Number(cur.version) : null,
      terminalData: c.change.data,
      centralData: cur ?? null,
    });
    out.results.push({
      changeId,
      status: "CONFLICT",
      conflictId: conflictId as ConflictId,
      strategy: d.conflict.strategy,
      resolution: d.conflict.resolution,
      version: centralData ? Number(centralData.version) : version,
      // Through JSON: the wire form of the row (timestamps as ISO strings), as the answer sends it.
      centralData: centralData ? (JSON.parse(JSON.stringify(centralData)) as Row) : null,
      ...(d.conflict.keptFields?.length ? { keptFields: d.conflict.keptFields } : {}),
    });
  }
  return out;
}
