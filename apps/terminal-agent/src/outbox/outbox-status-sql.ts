import { UNCONFIRMED_OUTBOX_STATUSES, type OutboxStatus } from "@tillsync/shared";
import { NOT_INDEXED } from "../capture/captured-tail";

/**
 * Outbox statuses as SQL literals. SQL text is not type-checked; going through the shared
 * union makes a misspelt status a compile error instead of a query that never matches.
 */
export function statusSql(s: OutboxStatus): string {
  return `'${s}'`;
}

/** `(…)` for `status IN …`. */
function statusListSql(statuses: readonly OutboxStatus[]): string {
  return `(${statuses.map(statusSql).join(", ")})`;
}

/** Changes central has not confirmed yet: what the till shows on top of central's values (G4). */
export const UNCONFIRMED_SQL = statusListSql(UNCONFIRMED_OUTBOX_STATUSES);

/**
 * The predicate of the partial entity index (capture/outbox-indexes.ts). `confirmed` is 2 for a
 * row capture just wrote (the captured tail, capture/captured-tail.ts), 0 once the agent moved
 * it into the index, and 0 for every other unconfirmed row; it turns 1 some time after central's
 * answer settled the row (SYNCED or CONFLICT: OutboxStore's confirm sweep) and never back. So
 * the index holds every unconfirmed row but the tail's (which the agent indexes at the start of
 * each transaction that looks rows up) and a bounded number of recently settled ones, and every
 * lookup through it also names the status it wants. Unlike `status`, `confirmed` does not change when a
 * batch is claimed (PENDING → SYNCING), released or settled. SQLite moves a partial index's entry
 * whenever an UPDATE sets a column its WHERE names, ~one random page per change with random
 * UUIDs: with `status` there, a claim wrote 865 pages per 1,000 changes at 100k queued (100
 * without), and settling as many again (issue 15).
 */
export const OPEN_SQL = "confirmed = 0";

/**
 * The predicate of the partial status index (capture/outbox-indexes.ts): every row but the
 * captured tail's (capture/captured-tail.ts). A query by status uses that index only when its
 * WHERE spells this out; it then sees no tail row, which is right for every status but PENDING
 * (a tail row is PENDING by the tail's invariant). A reader of PENDING rows either indexes the
 * tail first in its write transaction (a claim) or reads the tail beside the index (TAIL_SQL).
 */
export const INDEXED_SQL = `confirmed <> ${NOT_INDEXED}`;

/**
 * Unconfirmed changes, as a WHERE term that uses the partial entity index: its predicate spelt
 * out (SQLite's rule for partial indexes), and the status itself as the exact condition.
 * `alias` names the outbox in a join.
 */
export function unconfirmedSql(alias?: string): string {
  const a = alias ? `${alias}.` : "";
  return `${a}${OPEN_SQL} AND +${a}status IN ${UNCONFIRMED_SQL}`;
}

/** Changes a push still has to send: waiting, or in flight (in this process or one that died). */
const QUEUED_OUTBOX_STATUSES = ["PENDING", "SYNCING"] as const satisfies readonly OutboxStatus[];
export const QUEUED_SQL = statusListSql(QUEUED_OUTBOX_STATUSES);

/**
 * The conflict clause of the agent's multi-row outbox UPDATEs on the push's hot path (the claim,
 * the set-based settle, the confirm sweep). With the default (ABORT), SQLite gives every
 * multi-row write inside a transaction a statement journal, so that a constraint failure can
 * undo that statement alone: each page the statement writes is first copied into it, spilling
 * into a temporary file that is created, written and deleted once per statement (~6 % of the
 * agent's CPU in a drain, issue 15). These statements set constants no constraint can refuse
 * (a status literal, `error = NULL`, `confirmed = 1`); with FAIL they need no statement
 * journal. Any other error (I/O, a full disk) rolls the whole transaction back, as the
 * agent's write transactions do on any throw anyway.
 */
export const NO_STATEMENT_JOURNAL = "OR FAIL";
