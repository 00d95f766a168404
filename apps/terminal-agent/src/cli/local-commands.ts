import type { Command } from "commander";
import { SyncStateStore } from "../db/sync-state";
import { recordCommand } from "../history/agent-history";
import { cleanupSynced, retryFailed } from "../outbox/outbox-maintenance";
import { formatAgentStatus, readAgentStatus } from "../status/agent-status";
import { AGENT_DEFAULTS } from "../config";
import { positiveInt } from "./cli-errors";
import { cli } from "./cli-context";
import { withVariables } from "./command-help";
import { withDb } from "./local-db";

/**
 * The commands that never talk to central: they need only TERMINAL_DATABASE_URL (and work
 * while central is unreachable or the CENTRAL_* variables are unset). A running daemon
 * notices their writes through PRAGMA data_version. Each records its outcome in `history`.
 */

function statusCommand(opts: { json?: boolean }): void {
  const { local } = cli();
  const s = withDb((db) =>
    readAgentStatus(db, local.SYNC_INTERVAL * 1000, Date.now(), { syncEnabled: local.SYNC_ENABLED }),
  );
  console.log(opts.json ? JSON.stringify(s, null, 2) : formatAgentStatus(s));
}

function setPaused(paused: boolean): void {
  // Pausing a till before its first start is allowed: the file is created with the flag set.
  withDb(
    (db) => {
      new SyncStateStore(db).set("paused", paused ? "1" : "0");
      recordCommand(db, paused ? "PAUSE" : "RESUME", paused ? "sync paused by operator" : "sync resumed by operator");
    },
    { create: true },
  );
  console.log(
    paused
      ? "sync paused on this terminal; it stays paused across restarts until `tillsync-agent resume`"
      : "sync resumed on this terminal",
  );
}

function retryFailedCommand(): void {
  const n = withDb((db) => {
    const count = retryFailed(db);
    recordCommand(db, "RETRY_FAILED", `${count} failed change(s) back to pending`);
    return count;
  });
  console.log(`${n} failed change(s) back to pending; they go with the next sync`);
}

function cleanupCommand(opts: { days: number }): void {
  const historyDays = cli().local.HISTORY_RETENTION_DAYS;
  const r = withDb((db) => {
    const out = cleanupSynced(db, opts.days, historyDays);
    recordCommand(db, "CLEANUP", `deleted ${out.outbox} synced outbox row(s), ${out.history} history row(s)`);
    return out;
  });
  console.log(
    `deleted ${r.outbox} synced outbox row(s) older than ${opts.days} day(s) and ${r.history} history row(s) older than ${historyDays} day(s)`,
  );
}

export function addLocalCommands(program: Command): void {
  withVariables(
    program
      .command("status")
      .description("health, state, circuit, last sync and error, per-table counts (works offline)")
      .option("--json", "machine-readable output (the document GET /status serves)")
      .action((opts: { json?: boolean }) => statusCommand(opts)),
    ["local"],
  ).addHelpText("after", "  SYNC_INTERVAL, SYNC_ENABLED  decide when the health turns yellow or gray\n");

  withVariables(
    program
      .command("pause")
      .description("pause sync on this terminal; persists across restarts")
      .action(() => setPaused(true)),
    ["local"],
  );
  withVariables(
    program
      .command("resume")
      .description("resume sync on this terminal")
      .action(() => setPaused(false)),
    ["local"],
  );
  withVariables(
    program
      .command("retry-failed")
      .description("put FAILED outbox changes back to PENDING, clearing their old error")
      .action(() => retryFailedCommand()),
    ["local"],
  );
  withVariables(
    program
      .command("cleanup")
      .description("delete SYNCED outbox rows older than N days, and history older than HISTORY_RETENTION_DAYS")
      .option("--days <n>", "age in days", positiveInt(36_500), AGENT_DEFAULTS.OUTBOX_RETENTION_DAYS)
      .action((opts: { days: number }) => cleanupCommand(opts)),
    ["local"],
  );
}
