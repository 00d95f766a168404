import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** A committed migration in Prisma's folder layout: `<dir>/<timestamp>_<name>/migration.sql`. */
export interface MigrationFile {
  name: string;
  sql: string;
  /** sha256 of the file, as Prisma records it in `_prisma_migrations.checksum`. */
  checksum: string;
}

/** The repository's prisma/ folder, found from this file so it works from any cwd. */
export const PRISMA_DIR = path.resolve(__dirname, "../../../prisma");

export function migrationsDir(side: "central" | "terminal"): string {
  return path.join(PRISMA_DIR, "migrations", side);
}

/** Reads a migrations folder in name (= timestamp) order. */
export function readMigrationFiles(dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new Error(`migrations folder ${dir} does not exist`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/** Thrown when the database holds a migration whose committed file has since changed. */
export class MigrationChecksumError extends Error {
  constructor(readonly migration: string) {
    super(
      `migration ${migration} was edited after it was applied; restore the committed file and add a new migration instead`,
    );
    this.name = "MigrationChecksumError";
  }
}
