import { loadLocalConfig } from "../config";
import { SyncStateStore } from "../db/sync-state";
import { openTerminalDb, type SqliteDb } from "../db/terminal-db";
import { cleanupSynced, retryFailed } from "../outbox/outbox-maintenance";
import { formatAgentStatus, readAgentStatus } from "../status/agent-status";

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

export function statusCommand(opts: { json?: boolean }): void {
  withLocalDb((db, config) => {
    const s = readAgentStatus(db, config.SYNC_INTERVAL * 1000);
    console.log(opts.json ? JSON.stringify(s, null, 2) : formatAgentStatus(s));
  });
}

export function pauseCommand(): void {
  withLocalDb((db) => new SyncStateStore(db).set("paused", "1"));
  console.log("sync paused on this terminal; it stays paused across restarts until `tillsync-agent resume`");
}

export function resumeCommand(): void {
  withLocalDb((db) => new SyncStateStore(db).set("paused", "0"));
  console.log("sync resumed on this terminal");
}

export function retryFailedCommand(): void {
  const n = withLocalDb((db) => retryFailed(db));
  console.log(`${n} failed change(s) back to pending; they go with the next sync`);
}

export function cleanupCommand(opts: { days: number }): void {
  const r = withLocalDb((db) => cleanupSynced(db, opts.days));
  console.log(
    `deleted ${r.outbox} synced outbox row(s) and ${r.history} sync history row(s) older than ${opts.days} day(s)`,
  );
}
