import { randomUUID } from "node:crypto";
import type { Pool } from "pg";
import { MigrationChecksumError, migrationsDir, readMigrationFiles } from "@tillsync/shared";
import { checkOut, inTransaction } from "./transaction";

// Any constant works; it only has to be the same for every central instance, so that
// instances starting together apply migrations one at a time.
const MIGRATION_LOCK_KEY = 7_270_736_901;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** What `migrate status` shows: the migrations the database has, and those it has not yet. */
export interface MigrationStatus {
  applied: Array<{ name: string; finishedAt: string }>;
  pending: string[];
}

/** Applied and pending central migrations, without applying anything. */
export async function centralMigrationStatus(pool: Pool, dir = migrationsDir("central")): Promise<MigrationStatus> {
  const files = readMigrationFiles(dir);
  await pool.query(CREATE_MIGRATIONS_TABLE);
  const { rows } = await pool.query<{ migration_name: string; finished_at: Date }>(
    `SELECT migration_name, finished_at FROM "_prisma_migrations"
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  const done = new Set(rows.map((r) => r.migration_name));
  return {
    applied: rows.map((r) => ({ name: r.migration_name, finishedAt: r.finished_at.toISOString() })),
    pending: files.map((f) => f.name).filter((n) => !done.has(n)),
  };
}

/**
 * Applies the committed central migrations that the database does not have yet, each in its
 * own transaction, recording them in `_prisma_migrations` the way `prisma migrate deploy`
 * does. Returns the names it applied; `onApplied` hears each one as it is committed (logs).
 */
export async function migrateCentral(
  pool: Pool,
  dir = migrationsDir("central"),
  onApplied: (name: string) => void = () => undefined,
): Promise<string[]> {
  const files = readMigrationFiles(dir);
  const { client, release } = await checkOut(pool);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations"
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]));
    const done: string[] = [];
    for (const m of files) {
      const known = applied.get(m.name);
      if (known !== undefined) {
        if (known !== m.checksum) throw new MigrationChecksumError(m.name);
        continue;
      }
      await inTransaction(client, async () => {
        const started = new Date();
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations"
             (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, $4, now(), 1)`,
          [randomUUID(), m.checksum, m.name, started],
        );
      }).catch((err: Error) => {
        throw new Error(`migration ${m.name} failed: ${err.message}`);
      });
      done.push(m.name);
      onApplied(m.name);
    }
    return done;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    release();
  }
}
