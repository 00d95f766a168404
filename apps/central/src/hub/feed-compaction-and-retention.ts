import type { ChangeFeedStore } from "../store/change-feed";
import type { SessionStore } from "../store/operator-sessions";
import type { RetentionStore } from "../store/retention";
import type { SyncHistoryStore } from "../store/sync-history";
import type { SyncRunStore } from "../store/sync-runs";

/** How long each kind of record is kept (days; central's *_RETENTION_DAYS settings). */
export interface RetentionDays {
  historyDays: number;
  feedDays: number;
  appliedChangesDays: number;
  conflictDays: number;
}

/**
 * The daily cleanup job (once per cluster): compacts the change feed (see
 * ChangeFeedStore.compact: superseded entries, and deletions older than FEED_RETENTION_DAYS),
 * deletes sync_history, sync runs, applied_changes and decided conflicts older than their
 * retention, and console sessions that ended or expired more than a day ago.
 */
export async function compactFeedAndExpireHistory(
  store: {
    feed: Pick<ChangeFeedStore, "compact">;
    history: Pick<SyncHistoryStore, "deleteOlderThan">;
    sessions: Pick<SessionStore, "deleteStale">;
    retention: RetentionStore;
    runs: Pick<SyncRunStore, "deleteOlderThan">;
  },
  days: RetentionDays,
): Promise<{
  history: number;
  runs: number;
  feed: number;
  expiredDeletions: number;
  sessions: number;
  appliedChanges: number;
  conflicts: number;
}> {
  const history = await store.history.deleteOlderThan(days.historyDays);
  const runs = await store.runs.deleteOlderThan(days.historyDays);
  const feed = await store.feed.compact({ retentionDays: days.feedDays });
  const sessions = await store.sessions.deleteStale();
  const appliedChanges = await store.retention.pruneAppliedChanges(days.appliedChangesDays);
  const conflicts = await store.retention.pruneConflicts(days.conflictDays);
  return { history, runs, feed: feed.superseded, expiredDeletions: feed.expired, sessions, appliedChanges, conflicts };
}

/** The retention periods of a parsed configuration. */
export function retentionDaysOf(c: {
  HISTORY_RETENTION_DAYS: number;
  FEED_RETENTION_DAYS: number;
  APPLIED_CHANGES_RETENTION_DAYS: number;
  CONFLICT_RETENTION_DAYS: number;
}): RetentionDays {
  return {
    historyDays: c.HISTORY_RETENTION_DAYS,
    feedDays: c.FEED_RETENTION_DAYS,
    appliedChangesDays: c.APPLIED_CHANGES_RETENTION_DAYS,
    conflictDays: c.CONFLICT_RETENTION_DAYS,
  };
}
