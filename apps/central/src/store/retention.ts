import type { Queryable } from "./transaction";

/**
 * Retention of central's bookkeeping that only grows otherwise (the daily cleanup calls it;
 * the periods are configuration, README's table says why each default is safe).
 */
export interface RetentionStore {
  /**
   * Deletes idempotency records (applied_changes) older than `days`. A change re-sent after
   * that is applied again, so `days` must outlive every re-send: the agents' outbox retention
   * (re-sent after a restore) and the longest supported offline period.
   */
  pruneAppliedChanges(days: number): Promise<number>;
  /** Deletes conflicts decided (not PENDING) more than `days` ago; pending ones stay until resolved. */
  pruneConflicts(days: number): Promise<number>;
}

export function retentionStore(q: Queryable): RetentionStore {
  return {
    async pruneAppliedChanges(days) {
      const r = await q.query(`DELETE FROM applied_changes WHERE applied_at < now() - make_interval(days => $1::int)`, [
        days,
      ]);
      return r.rowCount ?? 0;
    },
    async pruneConflicts(days) {
      const r = await q.query(
        `DELETE FROM conflicts WHERE status <> 'PENDING'
            AND coalesce(resolved_at, created_at) < now() - make_interval(days => $1::int)`,
        [days],
      );
      return r.rowCount ?? 0;
    },
  };
}
