import type { Command } from "commander";
import { AGENT_DEFAULTS, loadLocalConfig } from "../config";
import { SyncStateStore } from "../db/sync-state";
import { openTerminalDb, type SqliteDb } from "../db/terminal-db";
import { cleanupSynced, retryFailed } from "../outbox/outbox-maintenance";
import { formatAgentStatus, readAgentStatus } from "../status/agent-status";
import { positiveInt } from "./cli-errors";

/**
 * The commands that never talk to central: they need only TERMINAL_DATABASE_URL (and work
 * while central is unreachable or the CENTRAL_* variables are unset). Each opens and migrates
 * the database itself; a running daemon notices their writes through PRAGMA data_version.
 */
function withLocalDb<T>(fn: (db: SqliteDb, config: ReturnType<typeof loadLocalConfig>) => T): T {
  const config = loadLocalConfig();
  const db = openTerminalDb(config.databasePath);
  try {
    return fn(db, config);
  } finally {
    db.close();
  }
}

function statusCommand(opts: { json?: boolean }): void {
  withLocalDb((db, config) => {
    const s = readAgentStatus(db, config.SYNC_INTERVAL * 1000);
    console.log(opts.json ? JSON.stringify(s, null, 2) : formatAgentStatus(s));
  });
}

function pauseCommand(): void {
  withLocalDb((db) => new SyncStateStore(db).set("paused", "1"));
  console.log("sync paused on this terminal; it stays paused across restarts until `tillsync-agent resume`");
}

function resumeCommand(): void {
  withLocalDb((db) => new SyncStateStore(db).set("paused", "0"));
  console.log("sync resumed on this terminal");
}

function retryFailedCommand(): void {
  const n = withLocalDb((db) => retryFailed(db));
  console.log(`${n} failed change(s) back to pending; they go with the next sync`);
}

function cleanupCommand(opts: { days: number }): void {
  const r = withLocalDb((db) => cleanupSynced(db, opts.days));
  console.log(
    `deleted ${r.outbox} synced outbox row(s) and ${r.history} sync history row(s) older than ${opts.days} day(s)`,
  );
}

export function addLocalCommands(program: Command): void {
  program
    .command("status")
    .description("per-table pending/failed/synced/conflicts, last sync, circuit, health (works offline)")
    .option("--json", "machine-readable output")
    .action((opts: { json?: boolean }) => statusCommand(opts));

  program
    .command("pause")
    .description("pause sync on this terminal; persists across restarts")
    .action(() => pauseCommand());
  program
    .command("resume")
    .description("resume sync on this terminal")
    .action(() => resumeCommand());
  program
    .command("retry-failed")
    .description("put FAILED outbox rows back to PENDING")
    .action(() => retryFailedCommand());

  program
    .command("cleanup")
    .description("delete SYNCED outbox rows older than N days (the daemon does this daily at 03:00)")
    .option("--days <n>", "age in days", positiveInt(36_500), AGENT_DEFAULTS.OUTBOX_RETENTION_DAYS)
    .action((opts: { days: number }) => cleanupCommand(opts));
}
