import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { MAX_PULL_LIMIT, Priority, type PriorityBand } from "@tillsync/shared";
import { loadAgentConfig, type AgentConfig } from "../config";
import { acquireAgentLock, AgentLockedError } from "../daemon/agent-lock";
import { createAgent } from "../daemon/agent";
import { transportFromConfig } from "../daemon/from-config";
import { SyncStateStore } from "../db/sync-state";
import { openTerminalDb, type SqliteDb } from "../db/terminal-db";
import { recordCommand } from "../history/agent-history";
import { forceStartup } from "../recovery/force-startup";
import { progressReporter } from "../recovery/progress";
import type { CycleReport } from "../sync/engine-options";
import { CommandFailed, positiveInt } from "./cli-errors";
import { cli } from "./cli-context";
import { withVariables } from "./command-help";
import { dryRun, formatDryRun } from "./dry-run";

/** The commands that talk to central once and exit: `startup` and `sync`. */

const PAUSED = "sync is paused on this terminal; run `tillsync-agent resume` first";

/**
 * One cycle, recorded like the daemon's: the engine writes its state (`status` reads the
 * latest outcome, whoever ran it) and a history row. The lock (runExclusive) guarantees no
 * daemon is writing the same state meanwhile.
 */
async function oneCycle(config: AgentConfig, what: string, minPriority?: number): Promise<CycleReport> {
  const agent = createAgent(config);
  const r = await agent.engine.runCycle(minPriority);
  await agent.close();
  if (r.skipped === "paused") throw new CommandFailed(PAUSED);
  if (r.error) throw new CommandFailed(`${what} failed: ${r.error}`);
  return r;
}

async function withDb<T>(config: AgentConfig, fn: (db: SqliteDb) => Promise<T>): Promise<T> {
  const db = openTerminalDb(config.databasePath);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/**
 * What every one-shot sync checks first: SYNC_ENABLED (false: say so, exit 0, contact nobody),
 * the local pause, then the database's sync lock, so a command typed beside a running daemon
 * never sends the batch the daemon is sending.
 */
export async function runExclusive(command: string, fn: (config: AgentConfig) => Promise<void>): Promise<void> {
  const config = loadAgentConfig();
  if (!config.SYNC_ENABLED) {
    console.log("sync is disabled on this terminal (SYNC_ENABLED=false); nothing was sent");
    return;
  }
  if (await withDb(config, async (db) => new SyncStateStore(db).get("paused") === "1")) throw new CommandFailed(PAUSED);
  let lock;
  try {
    lock = acquireAgentLock(config.databasePath, command);
  } catch (err) {
    if (err instanceof AgentLockedError) throw new CommandFailed(err.message);
    throw err;
  }
  try {
    await fn(config);
  } finally {
    lock.release();
  }
}

async function startupAction(opts: { force?: boolean; pageSize?: number }): Promise<void> {
  await runExclusive("startup", async (config) => {
    if (opts.force) {
      await withDb(config, async (db) => {
        const progress = progressReporter(process.stdout);
        const r = await forceStartup(db, transportFromConfig(config), {
          pageSize: opts.pageSize ?? config.SYNC_RECOVERY_PAGE_SIZE,
          onPage: (p, n) => progress.page(p, n),
          historyDays: config.HISTORY_DAYS,
        });
        progress.done(r.pages, r.rows);
        const o = r.ownOrders;
        console.log(
          `restored this terminal's own orders of the last ${config.HISTORY_DAYS} day(s): ${o.orders} order(s), ${o.lines} line(s), ${o.payments} payment(s)`,
        );
        if (r.resumed) console.log("continued an interrupted recovery");
        recordCommand(db, "RECOVERY", `startup --force: downloaded ${r.rows} row(s) in ${r.pages} page(s)`);
      });
    }
    const r = await oneCycle(config, "startup sync");
    console.log(`startup sync: pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
  });
}

const BANDS: Record<string, PriorityBand> = {
  critical: "CRITICAL",
  high: "HIGH",
  medium: "MEDIUM",
  low: "LOW",
  background: "BACKGROUND",
};

/** `--priority high`: the named band and every more urgent one (critical, high). */
function parseBand(value: string): PriorityBand {
  const band = BANDS[value.toLowerCase()];
  if (!band) throw new InvalidArgumentError(`must be one of ${Object.keys(BANDS).join(", ")}`);
  return band;
}

async function syncAction(opts: { dryRun?: boolean; priority?: PriorityBand }): Promise<void> {
  if (opts.dryRun) {
    // Reads only: no lock, and it works offline (the push list is local).
    const config = loadAgentConfig();
    const report = await withDb(config, (db) => dryRun(db, transportFromConfig(config), config.SYNC_PULL_PAGE_SIZE));
    console.log(formatDryRun(report));
    return;
  }
  await runExclusive("sync", async (config) => {
    const min = opts.priority ? Priority[opts.priority] : undefined;
    const r = await oneCycle(config, "sync", min);
    const bands = opts.priority ? ` (bands ${opts.priority} and above)` : "";
    console.log(`pushed ${r.pushed}${bands}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
    cli().logger.debug({ cycleId: r.cycleId, durationMs: r.durationMs }, "sync done");
  });
}

export function addSyncCommands(program: Command): void {
  withVariables(
    program
      .command("startup")
      .description("sync from central now; --force re-downloads everything (a lost or new database)")
      .option("--force", "empty what central owns locally and download it again (keeps unsent sales)")
      .option(
        "--page-size <n>",
        `rows per page while re-downloading (max ${MAX_PULL_LIMIT}; default SYNC_RECOVERY_PAGE_SIZE)`,
        positiveInt(MAX_PULL_LIMIT),
      )
      .action(startupAction),
    ["central", "local", "sync"],
  );

  withVariables(
    program
      .command("sync")
      .description("run one push + pull cycle now (refused while the daemon runs: it syncs by itself)")
      .option("--dry-run", "print what would be pushed and pulled; change nothing (works offline)")
      .option(
        "--priority <band>",
        "push only this band and the more urgent ones: critical, high, medium, low, background",
        parseBand,
      )
      .action(syncAction),
    ["central", "local", "sync"],
  );
}
