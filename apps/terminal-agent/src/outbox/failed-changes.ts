import type { SyncTable } from "@tillsync/shared";
import type { SqliteDb } from "../db/terminal-db";
import { INDEXED_SQL, statusSql } from "./outbox-status-sql";

/**
 * The operator's view of FAILED outbox changes (`failed`, `discard`): the error, the attempts
 * and the row that would have been sent. Each write is one statement, safe beside a daemon.
 */
export interface FailedChangeRow {
  id: number;
  changeId: string;
  table: SyncTable;
  entityId: string;
  operation: string;
  error: string | null;
  attempts: number;
  lastAttemptAt: string | null;
  createdAt: string;
  /** The row's values as captured (null for a DELETE). */
  row: unknown;
}

interface Raw {
  id: number;
  change_id: string;
  entity_type: SyncTable;
  entity_id: string;
  operation: string;
  error: string | null;
  attempts: number;
  last_attempt_at: string | null;
  created_at: string;
  data: string | null;
}

function parseRow(data: string | null): unknown {
  if (data === null) return null;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

export function listFailed(db: SqliteDb, table?: string): FailedChangeRow[] {
  const rows = db
    .prepare(
      `SELECT id, change_id, entity_type, entity_id, operation, error, attempts, last_attempt_at, created_at, data
         FROM outbox WHERE status = ${statusSql("FAILED")} AND ${INDEXED_SQL} AND (? IS NULL OR entity_type = ?) ORDER BY id`,
    )
    .all(table ?? null, table ?? null) as Raw[];
  return rows.map((r) => ({
    id: r.id,
    changeId: r.change_id,
    table: r.entity_type,
    entityId: r.entity_id,
    operation: r.operation,
    error: r.error,
    attempts: r.attempts,
    lastAttemptAt: r.last_attempt_at,
    createdAt: r.created_at,
    row: parseRow(r.data),
  }));
}

/**
 * Deletes FAILED changes by outbox id or change id (`ids`), or every FAILED change when `ids`
 * is undefined. Only FAILED rows: an id that is pending or synced is left alone and reported
 * as not found. Returns the change ids removed.
 */
export function discardFailed(db: SqliteDb, ids: string[] | undefined): { removed: string[]; notFound: string[] } {
  return db
    .transaction(() => {
      const failed = listFailed(db);
      const chosen =
        ids === undefined ? failed : failed.filter((f) => ids.includes(String(f.id)) || ids.includes(f.changeId));
      const notFound = (ids ?? []).filter((i) => !chosen.some((f) => String(f.id) === i || f.changeId === i));
      const del = db.prepare(`DELETE FROM outbox WHERE id = ? AND status = ${statusSql("FAILED")}`);
      for (const f of chosen) del.run(f.id);
      return { removed: chosen.map((f) => f.changeId), notFound };
    })
    .immediate();
}
