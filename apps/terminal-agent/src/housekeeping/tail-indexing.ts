import { capturedTailLength, indexCapturedTail } from "../capture/captured-tail";
import type { SqliteDb } from "../db/terminal-db";
import { isStorageFailure } from "../sync/storage-condition";

/**
 * How often the daemon moves the captured tail into the entity index (capture/captured-tail.ts)
 * when the sync engine has not: an offline till pushes nothing, so no claim indexes it. Once a
 * second keeps the triggers' tail scans to a second of sales; each run writes the index pages
 * of that second's rows once, off the till's transactions.
 */
export const TAIL_INDEXING_EVERY_MS = 1_000;

/**
 * Indexes the captured tail every `everyMs` in a short write transaction of its own; a run with
 * an empty tail only reads. Returns a stop function.
 */
export function scheduleTailIndexing(db: SqliteDb, everyMs = TAIL_INDEXING_EVERY_MS): () => void {
  const timer = setInterval(() => {
    try {
      if (capturedTailLength(db) > 0) db.transaction(() => indexCapturedTail(db)).immediate();
    } catch (err) {
      // The till holding the write lock past the busy timeout, or a full disk: the next run,
      // the next claim or the till's own bound (TAIL_BOUND) index it. Anything else is a bug.
      if (!isStorageFailure(err) && (err as { code?: unknown }).code !== "SQLITE_BUSY") throw err;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
