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

/** Changes a push still has to send: waiting, or in flight (in this process or one that died). */
const QUEUED_OUTBOX_STATUSES = ["PENDING", "SYNCING"] as const satisfies readonly OutboxStatus[];
export const QUEUED_SQL = statusListSql(QUEUED_OUTBOX_STATUSES);
