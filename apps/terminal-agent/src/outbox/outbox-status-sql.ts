import { UNCONFIRMED_OUTBOX_STATUSES, type OutboxStatus } from "@tillsync/shared";

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
 * The predicate of the partial entity index (capture/outbox-indexes.ts). `confirmed` turns 1 in
 * the one statement that settles a change (SYNCED or CONFLICT, settle-applied.ts and
 * outbox-store.ts) and never back, so it holds exactly for unconfirmed rows; unlike `status` it
 * does not change when a batch is claimed (PENDING → SYNCING) or released. SQLite moves a
 * partial index's entry whenever an UPDATE sets a column its WHERE names: with `status` there,
 * every claim rewrote ~one random page of the entity index per change (865 pages written per
 * 1,000 claimed at 100k queued, 100 without; issue 15).
 */
export const OPEN_SQL = "confirmed = 0";

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
