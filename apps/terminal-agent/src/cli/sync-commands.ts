import type { Command } from "commander";
import { MAX_PULL_LIMIT } from "@tillsync/shared";
import { loadAgentConfig, type AgentConfig } from "../config";
import { createAgent } from "../daemon/agent";
import { transportFromConfig } from "../daemon/from-config";
import { openTerminalDb, type SqliteDb } from "../db/terminal-db";
import { forceStartup } from "../recovery/force-startup";
import { progressReporter } from "../recovery/progress";
import type { CycleReport } from "../sync/sync-engine";
import { CommandFailed, positiveInt } from "./cli-errors";
import { dryRun, formatDryRun } from "./dry-run";

/** The commands that talk to central once and exit: `startup` and `sync`. */

/** One cycle of every band, without touching the state a running daemon persists. */
async function oneCycle(config: AgentConfig, what: string): Promise<CycleReport> {
  const agent = createAgent(config, undefined, { persistState: false });
  const r = await agent.engine.runCycle();
  await agent.close();
  if (r.skipped === "paused")
    throw new CommandFailed("sync is paused on this terminal; run `tillsync-agent resume` first");
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

async function startupAction(opts: { force?: boolean; pageSize?: number }): Promise<void> {
  const config = loadAgentConfig();
  if (opts.force) {
    await withDb(config, async (db) => {
      const progress = progressReporter(process.stdout);
      const r = await forceStartup(db, transportFromConfig(config), {
        pageSize: opts.pageSize ?? config.SYNC_RECOVERY_PAGE_SIZE,
        onPage: (p, n) => progress.page(p, n),
      });
      progress.done(r.pages, r.rows);
      if (r.resumed) console.log("continued an interrupted recovery");
    });
  }
  const r = await oneCycle(config, "startup sync");
  console.log(`startup sync: pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
}

async function syncAction(opts: { dryRun?: boolean }): Promise<void> {
  const config = loadAgentConfig();
  if (opts.dryRun) {
    const report = await withDb(config, (db) => dryRun(db, transportFromConfig(config), config.SYNC_PULL_PAGE_SIZE));
    console.log(formatDryRun(report));
    return;
  }
  const r = await oneCycle(config, "sync");
  console.log(`pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
}

export function addSyncCommands(program: Command): void {
  program
    .command("startup")
    .description("sync from central now; --force re-downloads everything (a lost or new database)")
    .option("--force", "empty what central owns locally and download it again (keeps unsent sales)")
    .option(
      "--page-size <n>",
      `rows per page while re-downloading (max ${MAX_PULL_LIMIT}; default SYNC_RECOVERY_PAGE_SIZE)`,
      positiveInt(MAX_PULL_LIMIT),
    )
    .action(startupAction);

  program
    .command("sync")
    .description("run one push + pull cycle now")
    .option("--dry-run", "print what would be pushed and pulled; change nothing")
    .action(syncAction);
}
