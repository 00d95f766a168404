import type { SqliteDb } from "../db/terminal-db";
import { cleanupSynced } from "../outbox/outbox-maintenance";
import { isStorageFailure } from "../sync/storage-condition";

/** Milliseconds from `now` to the next `hour`:00 local time (tomorrow's if it has passed). */
export function msUntilNextLocalHour(hour: number, now: Date = new Date()): number {
  const next = new Date(now);
  next.setHours(hour, 0, 0, 0);
  if (next.getTime() <= now.getTime()) next.setDate(next.getDate() + 1);
  return next.getTime() - now.getTime();
}

/**
 * Runs the outbox cleanup every day at `hour`:00 local time (OUTBOX_CLEANUP_HOUR, 03:00 by
 * default: the quietest hour in a shop), keeping SYNCED rows for `retentionDays`. Re-armed
 * each day from the clock rather than a 24 h interval, so daylight-saving changes do not make
 * it drift. History is kept `historyDays` (HISTORY_RETENTION_DAYS). Returns a stop function.
 */
export function scheduleDailyCleanup(
  db: SqliteDb,
  opts: { retentionDays: number; historyDays?: number; hour: number },
  onDone: (r: { outbox: number; history: number }) => void = () => undefined,
): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    timer = setTimeout(() => {
      try {
        onDone(cleanupSynced(db, opts.retentionDays, opts.historyDays));
      } catch (err) {
        // A full disk can refuse even a DELETE (the WAL must grow); the agent survives it and
        // cleans up tomorrow. Anything else is a bug and surfaces.
        if (!isStorageFailure(err)) throw err;
      } finally {
        arm();
      }
    }, msUntilNextLocalHour(opts.hour));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
