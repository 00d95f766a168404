import type { SyncTable } from "@tillsync/shared";
import type { SqliteDb } from "../db/terminal-db";
import { tailUnionSql } from "../capture/captured-tail";
import { INDEXED_SQL, QUEUED_SQL, statusSql } from "./outbox-status-sql";
import type { OutboxRow } from "./outbox-store";

/**
 * Operator maintenance of the outbox (retry-failed, cleanup, dry-run listing). Kept apart
 * from OutboxStore, which is the sync engine's view: these run from the CLI, often while a
 * daemon works the same file, so each is a single statement and cannot interleave badly.
 */

/**
 * FAILED rows back to PENDING with a fresh attempt budget and no error text (the old error
 * would otherwise show on `failed` and in the heartbeat as if it were new); returns how many.
 */
export function retryFailed(db: SqliteDb): number {
  return db
    .prepare(
      `UPDATE outbox SET status = ${statusSql("PENDING")}, attempts = 0, next_attempt_at = NULL, error = NULL
        WHERE status = ${statusSql("FAILED")} AND ${INDEXED_SQL}`,
    )
    .run().changes;
}

/**
 * Deletes SYNCED outbox rows older than `days`, and sync history older than `historyDays`
 * (with it, local edits of central-owned rows that a pull put back that long ago; `history`
 * counts both). Only SYNCED rows and discarded edits: a PENDING, FAILED or CONFLICT row, or an
 * edit still waiting for its pull, is still something the engine needs.
 */
export function cleanupSynced(db: SqliteDb, days: number, historyDays = days): { outbox: number; history: number } {
  const cutoff = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || ? || ' days')`;
  return db.transaction(() => ({
    outbox: db
      .prepare(`DELETE FROM outbox WHERE status = ${statusSql("SYNCED")} AND ${INDEXED_SQL} AND created_at < ${cutoff}`)
      .run(days).changes,
    history:
      db.prepare(`DELETE FROM sync_history WHERE started_at < ${cutoff}`).run(historyDays).changes +
      db.prepare(`DELETE FROM local_edits WHERE discarded_at < ${cutoff}`).run(historyDays).changes,
  }))();
}

export interface PendingChange {
  entity_type: SyncTable;
  entity_id: string;
  operation: OutboxRow["operation"];
  sync_priority: number;
  attempts: number;
  next_attempt_at: string | null;
}

/**
 * Every change a push would send, highest priority first (read only): those in the status index
 * and the captured tail's, which is not (capture/captured-tail.ts).
 */
export function listPending(db: SqliteDb): PendingChange[] {
  const cols = "id, entity_type, entity_id, operation, sync_priority, attempts, next_attempt_at";
  return db
    .prepare(
      `SELECT entity_type, entity_id, operation, sync_priority, attempts, next_attempt_at FROM (
         SELECT ${cols} FROM outbox WHERE status IN ${QUEUED_SQL} AND ${INDEXED_SQL}${tailUnionSql(db, cols)})
       ORDER BY sync_priority DESC, id`,
    )
    .all() as PendingChange[];
}
