import type { SyncHistoryEntry } from "@tillsync/shared";
import type { Queryable } from "./transaction";

/** sync_history: what happened to a terminal's sync over time (OFFLINE spells, for now). */
export interface SyncHistoryStore {
  /** One OFFLINE record per terminal that went silent. */
  recordOffline(terminalIds: string[], timeoutS: number): Promise<void>;
  /** Deletes records older than the retention; returns how many. */
  deleteOlderThan(days: number): Promise<number>;
  /** One terminal's records, newest first. */
  recent(terminalId: string, limit: number): Promise<SyncHistoryEntry[]>;
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
    async recent(terminalId, limit) {
      const { rows } = await q.query<{
        id: string;
        kind: string;
        started_at: Date;
        finished_at: Date | null;
        changes: number;
        conflicts: number;
        error: string | null;
      }>(
        `SELECT id, kind, started_at, finished_at, changes, conflicts, error FROM sync_history
          WHERE terminal_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
        [terminalId, limit],
      );
      return rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        startedAt: r.started_at.toISOString(),
        finishedAt: r.finished_at?.toISOString() ?? null,
        changes: r.changes,
        conflicts: r.conflicts,
        error: r.error,
      }));
    },
  };
}
