import type { ChangeFeedStore } from "../store/change-feed";
import type { SessionStore } from "../store/operator-sessions";
import type { SyncHistoryStore } from "../store/sync-history";
import type { SyncRunStore } from "../store/sync-runs";

/**
 * The daily cleanup job (once per cluster): compacts the change feed (see
 * ChangeFeedStore.compact: only entries no terminal, old or new, can need again) and deletes
 * sync_history and sync runs older than the retention (HISTORY_RETENTION_DAYS) and console sessions that
 * ended or expired more than a day ago.
 */
export async function compactFeedAndExpireHistory(
  store: {
    feed: Pick<ChangeFeedStore, "compact">;
    history: Pick<SyncHistoryStore, "deleteOlderThan">;
    sessions: Pick<SessionStore, "deleteStale">;
    runs: Pick<SyncRunStore, "deleteOlderThan">;
  },
  opts: { historyDays: number },
): Promise<{ history: number; feed: number; sessions: number; runs: number }> {
  const history = await store.history.deleteOlderThan(opts.historyDays);
  const runs = await store.runs.deleteOlderThan(opts.historyDays);
  const feed = await store.feed.compact();
  const sessions = await store.sessions.deleteStale();
  return { history, feed, sessions, runs };
}
