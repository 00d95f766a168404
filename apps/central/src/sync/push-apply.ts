import type { PushChange, PushResult, SyncPolicy } from "@tillsync/shared";
import type { AppliedChangeStore, NewAppliedRecord } from "../store/applied-changes";
import type { ConflictQueries } from "../store/conflicts";
import type { SyncControlQueries } from "../store/sync-control";
import type { TerminalIdentity, TerminalQueries } from "../store/terminals";
import { splitDuplicates } from "./push-duplicates";
import type { Refusal } from "./push-ownership";
import { prepareBatch, type PreparedChange } from "./push-prepare";
import { RowLevelFailure, writeBatch, type PushWriteTx } from "./push-write";

/** What a push needs inside its transaction (a part of TxStore). */
export interface PushTx extends PushWriteTx {
  appliedChanges: Pick<AppliedChangeStore, "lookUp" | "record" | "versionsProducedBy">;
  conflicts: Pick<ConflictQueries, "book">;
  terminals: Pick<TerminalQueries, "markSynced">;
  control: Pick<SyncControlQueries, "gate">;
}

/** What a push needs from the store: one transaction. */
export interface PushStore {
  transaction<T>(fn: (tx: PushTx) => Promise<T>): Promise<T>;
}

/**
 * Some of this batch's change ids are recorded already: by a concurrent push that committed
 * first, or (found by the optimistic first attempt) by an earlier push of the same changes.
 */
export class ConcurrentDuplicate extends Error {
  constructor() {
    super("some of these change ids were recorded by another push first; judge the batch again");
    this.name = "ConcurrentDuplicate";
  }
}

/**
 * The first attempt writes without looking the ids up (see applyPush); judging a batch again
 * after a ConcurrentDuplicate settles it, with the lookup first: its ids are then DUPLICATEs.
 * So one optimistic attempt and up to three that look up first.
 */
const MAX_ATTEMPTS = 4;

/**
 * Applies one pushed batch in a single transaction (G1, G5):
 *  1. prepare: validate each change without the database (rejections are final);
 *  2. duplicates: this terminal's change ids it pushed before are DUPLICATEs and get the result
 *     they were first given (also when that first attempt's response was lost); another
 *     terminal's same id is another change. A resend is rare, so the first attempt does not
 *     look the batch's ids up (one statement of ~1,000 index probes per batch): step 5's
 *     insert then proves each recorded id new, and the few ids it does not record (rejected)
 *     are looked up alone. An id found either way means a resend: the transaction rolls back
 *     and the batch is judged again, looking every id up first;
 *  3. decide and 4. write the rest per table, parents before children, round by round,
 *     set-based; a row-level database error is isolated to its change, which is REJECTED,
 *     without failing the batch (G6): the transaction is rolled back and the batch judged
 *     again with a savepoint per round (RowLevelFailure, push-write.ts);
 *  5. record every applied change with its result in one insert. If a concurrent push of the
 *     same change (same terminal, same id) committed first, that insert finds its key taken:
 *     the whole transaction rolls back and the batch is judged again, when those ids are DUPLICATEs.
 * Rejected changes are not recorded, so a retry is judged afresh.
 */
export async function applyPush(
  store: PushStore,
  policy: SyncPolicy,
  terminal: TerminalIdentity,
  changes: PushChange[],
  opts: PushOptions = {},
): Promise<PushResult[]> {
  const { prepared, early } = prepareBatch(policy, terminal, changes);
  let applied: Applied;
  // Once a row-level error was met, every attempt writes round by round (writeBatch); that
  // retry is not one of MAX_ATTEMPTS: nothing was recorded, so it need not look ids up either.
  let isolate = false;
  for (let attempt = 1; ;) {
    const lookUpFirst = attempt > 1;
    try {
      applied = await store.transaction((tx) =>
        applyOnce(tx, policy, terminal, prepared, opts, { lookUpFirst, isolate }),
      );
      break;
    } catch (err) {
      if (err instanceof RowLevelFailure && !isolate) isolate = true;
      else if (!(err instanceof ConcurrentDuplicate) || ++attempt > MAX_ATTEMPTS) throw err;
    }
  }
  // Only the attempt that committed is reported: a rolled-back one refused nothing for good.
  for (const r of applied.refusals) opts.onRefused?.(r);
  return changes.map((c, i) => early[i] ?? applied.results.get(c.changeId)!);
}

export interface PushOptions {
  /**
   * Runs in the push's transaction before anything is judged: throws (SyncStoppedError) when
   * sync is stopped for this terminal, so a push never lands during a stop (sync/sync-gate.ts).
   */
  gate?: (tx: PushTx) => Promise<void>;
  /** Told of every change refused for touching another terminal's rows, once the push committed. */
  onRefused?: (r: Refusal) => void;
}

interface Applied {
  results: Map<string, PushResult>;
  refusals: Refusal[];
}

async function applyOnce(
  tx: PushTx,
  policy: SyncPolicy,
  terminal: TerminalIdentity,
  prepared: PreparedChange[],
  opts: PushOptions,
  { lookUpFirst, isolate }: { lookUpFirst: boolean; isolate: boolean },
): Promise<Applied> {
  const terminalId = terminal.id;
  await opts.gate?.(tx);
  const records = lookUpFirst
    ? await tx.appliedChanges.lookUp(
        terminalId,
        prepared.map((p) => p.change.changeId),
      )
    : [];
  const { fresh, results } = splitDuplicates(prepared, records);
  const batch = await writeBatch(tx, policy, terminal, fresh, isolate);
  // Every conflict is logged with both sides, the base, the strategy and the outcome.
  await tx.conflicts.book(terminalId, batch.conflicts);
  const kept: NewAppliedRecord[] = [];
  const unrecorded: string[] = [];
  for (const p of fresh) {
    const result = batch.results.get(p.change.changeId);
    if (result && result.status !== "REJECTED")
      kept.push({ changeId: p.change.changeId, entityType: p.change.entityType, entityId: p.change.entityId, result });
    else unrecorded.push(p.change.changeId);
  }
  // A taken key: a resend, or a concurrent push of the same change that committed first.
  if ((await tx.appliedChanges.record(terminalId, kept)) < kept.length) throw new ConcurrentDuplicate();
  // Not looked up first: a change applied before must not be answered REJECTED now (G1).
  if (!lookUpFirst && unrecorded.length > 0 && (await tx.appliedChanges.lookUp(terminalId, unrecorded)).length > 0)
    throw new ConcurrentDuplicate();
  for (const [id, r] of batch.results) results.set(id, r);
  // The run counts what this push applied or met in conflict (a DUPLICATE is not counted again)
  // in the push's own transaction: counted once it commits, before the answer the agent acks after.
  let pushed = 0;
  for (const r of results.values()) if (r.status === "APPLIED" || r.status === "CONFLICT") pushed++;
  await tx.terminals.markSynced(terminalId, pushed);
  return { results, refusals: batch.refusals };
}
