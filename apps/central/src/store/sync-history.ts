import type { Queryable } from "./transaction";

/** sync_history: what happened to a terminal's sync over time (OFFLINE spells, for now). */
export interface SyncHistoryStore {
  /** One OFFLINE record per terminal that went silent. */
  recordOffline(terminalIds: string[], timeoutS: number): Promise<void>;
  /** Deletes records older than the retention; returns how many. */
  deleteOlderThan(days: number): Promise<number>;
}

export function syncHistoryStore(q: Queryable): SyncHistoryStore {
  return {
    async recordOffline(terminalIds, timeoutS) {
      if (terminalIds.length === 0) return;
      await q.query(
        `INSERT INTO sync_history (terminal_id, kind, finished_at, error)
         SELECT id, 'OFFLINE', now(), 'no heartbeat for ' || $2 || ' s' FROM unnest($1::uuid[]) AS id`,
        [terminalIds, timeoutS],
      );
    },
    async deleteOlderThan(days) {
      const r = await q.query(`DELETE FROM sync_history WHERE started_at < now() - make_interval(days => $1)`, [days]);
      return r.rowCount ?? 0;
    },
  };
}
