import type { ChangeFeedStore } from "../store/change-feed";
import type { SessionStore } from "../store/operator-sessions";
import type { SyncHistoryStore } from "../store/sync-history";

/**
 * The daily cleanup job (once per cluster): compacts the change feed (see
 * ChangeFeedStore.compact: only entries no terminal, old or new, can need again) and deletes
 * sync_history older than the retention (HISTORY_RETENTION_DAYS) and console sessions that
 * ended or expired more than a day ago.
 */
export async function compactFeedAndExpireHistory(
  store: {
    feed: Pick<ChangeFeedStore, "compact">;
    history: Pick<SyncHistoryStore, "deleteOlderThan">;
    sessions: Pick<SessionStore, "deleteStale">;
  },
  opts: { historyDays: number },
): Promise<{ history: number; feed: number; sessions: number }> {
  const history = await store.history.deleteOlderThan(opts.historyDays);
  const feed = await store.feed.compact();
  const sessions = await store.sessions.deleteStale();
  return { history, feed, sessions };
}
