import type { Command } from "commander";
import { loadDatabaseConfig } from "../config";
import { openCentralDb } from "../store/database";
import { ensureDatabase } from "../store/ensure-database";
import { centralMigrationStatus, migrateCentral } from "../store/migrate";
import { fail } from "./cli-errors";
import { envHelp } from "./env-help";

/** Opens DATABASE_URL (created when missing), runs `fn`, closes it. */
async function withDatabase<T>(fn: (db: ReturnType<typeof openCentralDb>) => Promise<T>): Promise<T> {
  const { DATABASE_URL } = loadDatabaseConfig();
  if (await ensureDatabase(DATABASE_URL)) console.log("created the database DATABASE_URL names");
  const db = openCentralDb(DATABASE_URL, 2);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function migrate(): Promise<void> {
  await withDatabase(async (db) => {
    const applied = await migrateCentral(db.pool, undefined, (name) => console.log(`applied ${name}`));
    console.log(applied.length ? `${applied.length} migration(s) applied` : "the database is up to date");
  });
}

async function status(opts: { json?: boolean }): Promise<void> {
  await withDatabase(async (db) => {
    const s = await centralMigrationStatus(db.pool);
    if (opts.json) return console.log(JSON.stringify(s, null, 2));
    for (const m of s.applied) console.log(`applied  ${m.name}  ${m.finishedAt}`);
    for (const name of s.pending) console.log(`pending  ${name}`);
    console.log(`${s.applied.length} applied, ${s.pending.length} pending`);
  });
}

/** `migrate` applies the committed migrations; `migrate status` lists applied and pending ones. */
export function addMigrateCommand(program: Command): void {
  const cmd = program
    .command("migrate")
    .description("apply the pending migrations to DATABASE_URL (creating the database when missing)")
    .addHelpText("after", envHelp(["DATABASE_URL"]))
    .action(() => migrate().catch(fail));
  cmd
    .command("status")
    .description("list applied and pending migrations; changes nothing but the bookkeeping table")
    .option("--json", "print JSON: { applied: [{ name, finishedAt }], pending: [name] }")
    .addHelpText("after", envHelp(["DATABASE_URL"]))
    .action((opts: { json?: boolean }) => status(opts).catch(fail));
}
