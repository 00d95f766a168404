import { randomUUID } from "node:crypto";
import type { FirstResult, SyncPolicy, TablePolicy } from "@tillsync/shared";
import type { AppliedChangeStore } from "../store/applied-changes";
import type { ConflictEntry } from "../store/conflicts";
import { isRowLevelError, type Row, type SyncedTables } from "../store/synced-tables";
import { tablesParentFirst } from "./policy-tables";
import type { PreparedChange } from "./push-prepare";
import {
  decideRound,
  ownKey,
  ownVersionCandidates,
  parentIdsOf,
  rejected,
  requireParents,
  rounds,
  settleRound,
  type RoundOutcome,
} from "./push-round";

/** What writing a push needs from the open transaction (a part of TxStore). */
export interface PushWriteTx {
  tables: Pick<SyncedTables, "lockRows" | "existingIds" | "upsertRows" | "appendRows" | "deleteRows">;
  appliedChanges: Pick<AppliedChangeStore, "versionsProducedBy">;
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
}

/** The results and conflicts of one batch's fresh changes, built up round by round. */
interface BatchState {
  readonly tx: PushWriteTx;
  readonly policy: SyncPolicy;
  readonly terminalId: string;
  readonly results: Map<string, FirstResult>;
  readonly conflicts: ConflictEntry[];
  /** Versions this terminal's changes produced in this batch, per row (a terminal never conflicts with itself). */
  readonly produced: Map<string, number>;
}

/**
 * Step 4 of a push: writes the fresh changes table by table, parents before children (G5),
 * each table in rounds that touch a row once (several changes to one row in a batch are
 * applied in order, one round each). Runs inside the push's transaction.
 */
export async function writeBatch(
  tx: PushWriteTx,
  policy: SyncPolicy,
  terminalId: string,
  changes: PreparedChange[],
): Promise<{ results: Map<string, FirstResult>; conflicts: ConflictEntry[] }> {
  const state: BatchState = { tx, policy, terminalId, results: new Map(), conflicts: [], produced: new Map() };
  for (const table of tablesParentFirst(policy)) {
    const forTable = changes.filter((c) => c.policy.table === table.table);
    for (const round of rounds(forTable)) await applyRound(state, table, round);
  }
  return { results: state.results, conflicts: state.conflicts };
}

function take(state: BatchState, outcome: RoundOutcome): void {
  for (const r of outcome.results) state.results.set(r.changeId, r);
  state.conflicts.push(...outcome.conflicts);
  for (const [id, version] of outcome.produced) state.produced.set(id, version);
}

const unstorable = (c: PreparedChange, err: unknown) =>
  rejected(c, `central could not store the row: ${(err as Error).message}`);

/**
 * One round in a savepoint. A row-level database error (bad foreign value, unique clash)
 * undoes the savepoint only; the round is then written again one change at a time, so the
 * poisoned change is REJECTED and the rest of the batch still lands (G6).
 */
async function applyRound(state: BatchState, policy: TablePolicy, round: PreparedChange[]): Promise<void> {
  let live = round;
  if (policy.parent) {
    const present = await state.tx.tables.existingIds(policy.parent.table, parentIdsOf(policy, round));
    const split = requireParents(policy, round, present);
    for (const r of split.rejected) state.results.set(r.changeId, r);
    live = split.live;
  }
  if (live.length === 0) return;
  try {
    take(state, await state.tx.savepoint(() => writeRound(state, policy, live)));
  } catch (err) {
    if (!isRowLevelError(err)) throw err;
    if (live.length === 1) return void state.results.set(live[0]!.change.changeId, unstorable(live[0]!, err));
    for (const one of live) {
      try {
        take(state, await state.tx.savepoint(() => writeRound(state, policy, [one])));
      } catch (e) {
        if (!isRowLevelError(e)) throw e;
        state.results.set(one.change.changeId, unstorable(one, e));
      }
    }
  }
}

/** Locks central's rows, decides the round (pure), writes it set-based, and settles it. */
async function writeRound(state: BatchState, policy: TablePolicy, round: PreparedChange[]): Promise<RoundOutcome> {
  const { tables, appliedChanges } = state.tx;
  // Append-only rows are never changed once there: the insert itself skips ids it has.
  const current = policy.appendOnly
    ? new Map<string, Row>()
    : await tables.lockRows(
        policy.table,
        round.map((c) => c.change.entityId),
      );
  const { own, suspects } = ownVersionCandidates(round, current, state.produced);
  for (const r of await appliedChanges.versionsProducedBy(state.terminalId, suspects))
    own.add(ownKey(r.entityId, r.version));
  const plan = decideRound(policy, round, current, own);
  const versions = policy.appendOnly
    ? await tables.appendRows(policy, policy.ledger && state.policy[policy.ledger.counterTable], plan.upserts)
    : await tables.upsertRows(policy, plan.upserts);
  await tables.deleteRows(policy.table, plan.deletes);
  const after =
    plan.conflicted.length > 0 ? await tables.lockRows(policy.table, plan.conflicted) : new Map<string, Row>();
  return settleRound(plan, { current, versions, after, newConflictId: randomUUID });
}
