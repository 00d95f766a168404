import { randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";
import { MigrationChecksumError, migrationsDir, readMigrationFiles } from "@tillsync/shared";
import {
  OUTBOX_PARTIAL_INDEXES_SQL,
  OUTBOX_STATUS_ENTITY_INDEX_SQL,
  OUTBOX_STATUS_INDEX_SQL,
} from "../capture/outbox-indexes";

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  TEXT PRIMARY KEY NOT NULL,
  "checksum"            TEXT NOT NULL,
  "finished_at"         DATETIME,
  "migration_name"      TEXT NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      DATETIME,
  "started_at"          DATETIME NOT NULL DEFAULT current_timestamp,
  "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

/**
 * Applies the committed terminal migrations the file does not have yet. A till has no operator
 * to run a CLI step, so every agent command calls this on open. BEGIN IMMEDIATE makes two
 * agent processes opening the same file at once take turns.
 */
export function migrateTerminal(db: Database, dir = migrationsDir("terminal")): string[] {
  const files = readMigrationFiles(dir);
  db.exec(CREATE_MIGRATIONS_TABLE);
  const done: string[] = [];
  for (const m of files) {
    const run = db.transaction(() => {
      const row = db
        .prepare(
          `SELECT checksum FROM "_prisma_migrations"
            WHERE migration_name = ? AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
        )
        .get(m.name) as { checksum: string } | undefined;
      if (row) {
        if (row.checksum !== m.checksum) throw new MigrationChecksumError(m.name);
        return false;
      }
      const started = new Date().toISOString();
      db.exec(m.sql);
      db.prepare(
        `INSERT INTO "_prisma_migrations"
           (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES (?, ?, ?, ?, ?, 1)`,
      ).run(randomUUID(), m.checksum, m.name, started, new Date().toISOString());
      return true;
    });
    if (run.immediate()) done.push(m.name);
  }
  db.transaction(() => createPartialIndexes(db)).immediate();
  return done;
}

/**
 * Indexes Prisma's schema cannot carry (see capture/outbox-indexes.ts), once the migration that
 * retires the full entity index has run. Folders of an older release (upgrade fixtures) keep
 * that release's full index and get nothing here; those from before `outbox_confirmed_flag`
 * get the partial index on `status` that their release made. The status index is partial once
 * `outbox_status_index_without_tail` dropped the full one (files that have the captured tail).
 */
function createPartialIndexes(db: Database): void {
  const has = (type: string, name: string) =>
    !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?`).get(type, name);
  if (!has("table", "outbox") || has("index", "outbox_entity_type_entity_id_idx")) return;
  const confirmed = db.prepare(`SELECT 1 FROM pragma_table_info('outbox') WHERE name = 'confirmed'`).get();
  db.exec(confirmed ? OUTBOX_PARTIAL_INDEXES_SQL : OUTBOX_STATUS_ENTITY_INDEX_SQL);
  if (confirmed && !has("index", "outbox_status_sync_priority_id_idx")) db.exec(OUTBOX_STATUS_INDEX_SQL);
}
