import { randomUUID } from "node:crypto";
import type { FirstResult, SyncPolicy, TablePolicy } from "@tillsync/shared";
import type { AppliedChangeStore } from "../store/applied-changes";
import type { ConflictEntry } from "../store/conflicts";
import { isRowLevelError, type Row, type SyncedTables } from "../store/synced-tables";
import type { TerminalIdentity } from "../store/terminals";
import { tablesParentFirst } from "./policy-tables";
import { judgeOwnership, parentIdsToRead, type Refusal } from "./push-ownership";
import type { PreparedChange } from "./push-prepare";
import {
  decideRound,
  ownKey,
  ownVersionCandidates,
  rejected,
  rounds,
  settleRound,
  type RoundOutcome,
  type RoundPlan,
} from "./push-round";

/** What writing a push needs from the open transaction (a part of TxStore). */
export interface PushWriteTx {
  tables: Pick<SyncedTables, "lockRows" | "readRows" | "upsertRows" | "insertRows" | "appendRows" | "deleteRows">;
  appliedChanges: Pick<AppliedChangeStore, "versionsProducedBy">;
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
}

/** The results and conflicts of one batch's fresh changes, built up round by round. */
interface BatchState {
  readonly tx: PushWriteTx;
  readonly policy: SyncPolicy;
  readonly terminal: TerminalIdentity;
  readonly results: Map<string, FirstResult>;
  readonly conflicts: ConflictEntry[];
  /** Changes refused for touching another terminal's rows (G8), for the log and the metric. */
  readonly refusals: Refusal[];
  /** Versions this terminal's changes produced in this batch, per row (a terminal never conflicts with itself). */
  readonly produced: Map<string, number>;
  /**
   * Rows this batch wrote, per table: this terminal's by construction (a new row takes its
   * owner columns, an existing one was checked and cannot change owner), so a child's parent
   * among them needs no read.
   */
  readonly written: Map<string, Set<string>>;
}

/**
 * Step 4 of a push: writes the fresh changes table by table, parents before children (G5),
 * each table in rounds that touch a row once (several changes to one row in a batch are
 * applied in order, one round each). Runs inside the push's transaction.
 *
 * The whole batch is written first with no savepoint at all (a row-level error is rare; a
 * savepoint around it cost two round trips a batch). When one is raised, the push's
 * transaction is aborted: RowLevelFailure tells applyPush to roll it back and judge the batch
 * again with `isolate`, which writes each round in a savepoint of its own and so isolates the
 * poisoned change (G6).
 */
export async function writeBatch(
  tx: PushWriteTx,
  policy: SyncPolicy,
  terminal: TerminalIdentity,
  changes: PreparedChange[],
  isolate = false,
): Promise<{ results: Map<string, FirstResult>; conflicts: ConflictEntry[]; refusals: Refusal[] }> {
  if (isolate) return writeAll(tx, policy, terminal, changes, true);
  try {
    return await writeAll(tx, policy, terminal, changes, false);
  } catch (err) {
    if (!isRowLevelError(err)) throw err;
    throw new RowLevelFailure(err);
  }
}

/** A row-level error in a batch written whole: its transaction must be rolled back and the batch written with `isolate`. */
export class RowLevelFailure extends Error {
  constructor(cause: unknown) {
    super(`a change of the batch could not be stored (${(cause as Error).message}); writing it round by round`, {
      cause,
    });
    this.name = "RowLevelFailure";
  }
}

/** Writes every table's rounds; `isolate`: each round in a savepoint of its own (see applyRound). */
async function writeAll(
  tx: PushWriteTx,
  policy: SyncPolicy,
  terminal: TerminalIdentity,
  changes: PreparedChange[],
  isolate: boolean,
): Promise<{ results: Map<string, FirstResult>; conflicts: ConflictEntry[]; refusals: Refusal[] }> {
  const state: BatchState = {
    tx,
    policy,
    terminal,
    results: new Map(),
    conflicts: [],
    refusals: [],
    produced: new Map(),
    written: new Map(),
  };
  for (const table of tablesParentFirst(policy)) {
    const forTable = changes.filter((c) => c.policy.table === table.table);
    for (const round of rounds(forTable)) {
      if (isolate) await applyRound(state, table, round);
      else await writeRoundInsertFirst(state, table, round);
    }
  }
  return { results: state.results, conflicts: state.conflicts, refusals: state.refusals };
}

/** A round's outcome with the changes its ownership check refused, and the rows it wrote. */
type WrittenRound = RoundOutcome & { refusals: Refusal[]; table: string; upserted: string[]; deleted: string[] };

function take(state: BatchState, outcome: WrittenRound): void {
  for (const r of outcome.results) state.results.set(r.changeId, r);
  state.conflicts.push(...outcome.conflicts);
  state.refusals.push(...outcome.refusals);
  for (const [id, version] of outcome.produced) state.produced.set(id, version);
  let written = state.written.get(outcome.table);
  if (!written) state.written.set(outcome.table, (written = new Set()));
  for (const id of outcome.upserted) written.add(id);
  for (const id of outcome.deleted) written.delete(id);
}

const unstorable = (c: PreparedChange, err: unknown) =>
  rejected(c, `central could not store the row: ${(err as Error).message}`);

/**
 * One round in a savepoint. A row-level database error (bad foreign value, unique clash)
 * undoes the savepoint only; the round is then written again one change at a time, so the
 * poisoned change is REJECTED and the rest of the batch still lands (G6).
 */
async function applyRound(state: BatchState, policy: TablePolicy, live: PreparedChange[]): Promise<void> {
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

/** Central's rows of a round: locked, except append-only ones, which never change once there. */
async function currentRows(state: BatchState, policy: TablePolicy, round: PreparedChange[]): Promise<Map<string, Row>> {
  const ids = round.map((c) => c.change.entityId);
  if (!policy.appendOnly) return state.tx.tables.lockRows(policy.table, ids);
  // The insert itself skips ids it has; they are read only to tell whose they are (G8).
  return policy.owner ? state.tx.tables.readRows(policy, ids) : new Map();
}

/**
 * Which of the round's changes this terminal may make (G8), from central's rows and, for
 * children, their parents (read in this transaction, so a parent created earlier in the same
 * batch counts; one the batch was refused does not).
 */
async function ownedPart(state: BatchState, policy: TablePolicy, round: PreparedChange[], current: Map<string, Row>) {
  const parentPolicy = policy.parent && state.policy[policy.parent.table];
  const parents = parentPolicy
    ? { policy: parentPolicy, rows: await parentRows(state, parentPolicy, parentIdsToRead(policy, round, current)) }
    : undefined;
  return judgeOwnership({ policy, terminal: state.terminal, round, current, parents });
}

/**
 * The parents a round's ownership check needs: read from central, except those this batch
 * wrote, which stand in as rows owned by this terminal (all the check looks at).
 */
async function parentRows(state: BatchState, parent: TablePolicy, ids: string[]): Promise<Map<string, Row>> {
  const written = state.written.get(parent.table);
  const toRead = written ? ids.filter((id) => !written.has(id)) : ids;
  const rows = await state.tx.tables.readRows(parent, toRead);
  if (toRead.length === ids.length) return rows;
  const o = parent.owner ?? {};
  const own: Row = {
    ...(o.terminal ? { [o.terminal]: state.terminal.id } : {}),
    ...(o.store ? { [o.store]: state.terminal.storeId } : {}),
  };
  for (const id of ids) if (written!.has(id)) rows.set(id, { id, ...own });
  return rows;
}

/**
 * A round whose rows are mostly new (a backlog of sales): those are inserted first, without
 * the lock query that would find nothing (`INSERT … ON CONFLICT DO NOTHING`: a row inserted
 * was absent, and the insert holds it); the changes of rows central holds already, and any
 * the insert did not take, then go the locked path (writeRound) as before. Ownership and
 * decision of the inserted rows are what the locked path gives a row central lacks (G8:
 * their parents are read or written in this batch); a change refused or not inserted there is
 * judged again by the locked path against central's row, so only inserted rows are final here.
 * Append-only rows too (a ledger's deltas count only for rows the append inserted, appendSql):
 * the read that tells whose a held row is (currentRows) then runs only for the ids the append
 * skipped, not for the whole round.
 * Not while isolating a row-level error (applyRound), where each round takes the plain path.
 */
async function writeRoundInsertFirst(state: BatchState, policy: TablePolicy, round: PreparedChange[]): Promise<void> {
  const candidates = round.filter((c) => c.change.operation !== "DELETE");
  let rest = round;
  if (candidates.length > 0) {
    const none = new Map<string, Row>();
    const owned = await ownedPart(state, policy, candidates, none);
    const plan = decideRound(policy, owned.live, none, new Set());
    const versions = policy.appendOnly
      ? await state.tx.tables.appendRows(
          policy,
          policy.ledger && state.policy[policy.ledger.counterTable],
          plan.upserts,
        )
      : await state.tx.tables.insertRows(policy, plan.upserts);
    if (versions.size > 0) {
      const steps = plan.steps.filter((s) => versions.has(s.change.change.entityId));
      const inserted: RoundPlan = { upserts: [], deletes: [], steps, conflicted: [] };
      const settled = settleRound(inserted, { current: none, versions, after: none, newConflictId: randomUUID });
      take(state, { ...settled, refusals: [], table: policy.table, upserted: [...versions.keys()], deleted: [] });
      rest = round.filter((c) => !versions.has(c.change.entityId));
    }
  }
  if (rest.length > 0) take(state, await writeRound(state, policy, rest));
}

/** Locks central's rows, judges ownership, decides the round (pure), writes it set-based, and settles it. */
async function writeRound(state: BatchState, policy: TablePolicy, round: PreparedChange[]): Promise<WrittenRound> {
  const { tables, appliedChanges } = state.tx;
  const current = await currentRows(state, policy, round);
  const owned = await ownedPart(state, policy, round, current);
  const live = owned.live;
  const { own, suspects } = ownVersionCandidates(live, current, state.produced);
  for (const r of await appliedChanges.versionsProducedBy(state.terminal.id, suspects))
    own.add(ownKey(r.entityId, r.version));
  const plan = decideRound(policy, live, current, own);
  const versions = policy.appendOnly
    ? await tables.appendRows(policy, policy.ledger && state.policy[policy.ledger.counterTable], plan.upserts)
    : await tables.upsertRows(policy, plan.upserts, "terminal");
  await tables.deleteRows(policy.table, plan.deletes);
  const after =
    plan.conflicted.length > 0 ? await tables.lockRows(policy.table, plan.conflicted) : new Map<string, Row>();
  const settled = settleRound(plan, { current, versions, after, newConflictId: randomUUID });
  return {
    ...settled,
    results: [...owned.rejected, ...settled.results],
    refusals: owned.refusals,
    table: policy.table,
    // Appended rows the table already held were not written by this batch (and have no children).
    upserted: policy.appendOnly ? [...versions.keys()] : plan.upserts.map((r) => String(r.id)),
    deleted: plan.deletes,
  };
}
