import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError, MAX_PULL_LIMIT } from "@tillsync/shared";
import { createAgent } from "./agent";
import { dryRun, formatDryRun } from "./cli/dry-run";
import { cleanupCommand, pauseCommand, resumeCommand, retryFailedCommand, statusCommand } from "./cli/local-commands";
import { AGENT_DEFAULTS, loadAgentConfig } from "./config";
import { startHeartbeat } from "./daemon/heartbeat";
import { startSocketLink } from "./transport/socket-link";
import { openTerminalDb } from "./db/terminal-db";
import { scheduleDailyCleanup } from "./housekeeping/daily-cleanup";
import { forceStartup } from "./recovery/force-startup";
import { progressReporter } from "./recovery/progress";
import { HttpCentralTransport } from "./transport/http-transport";

/** Exit codes: 0 ok, 1 the operation failed (e.g. central unreachable), 2 bad config or usage. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** An operation that could not be done; exit 1 with this one line. */
class CommandFailed extends Error {}

function fail(err: unknown): never {
  const e = err as Error;
  // One line: an operator greps logs, and a script reads only the first line anyway.
  console.error(`tillsync-agent: ${e.message.replace(/\s*\n\s*/g, "; ")}`);
  process.exit(err instanceof ConfigError ? EXIT.USAGE : EXIT.FAILED);
}

function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return n;
  };
}

function transportOf(config: ReturnType<typeof loadAgentConfig>): HttpCentralTransport {
  return new HttpCentralTransport({
    baseUrl: config.CENTRAL_API_URL,
    key: config.CENTRAL_API_KEY,
    terminalId: config.TERMINAL_ID,
    timeoutMs: config.SYNC_TIMEOUT * 1000,
  });
}

export function buildCli(): Command {
  const program = new Command("tillsync-agent")
    .description("tillsync terminal agent: keeps this till's SQLite database in sync with central")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`tillsync-agent: ${str.replace(/^error: /, "")}`) });

  program
    .command("start")
    .description("run the daemon: startup sync, then push/pull by priority until SIGTERM")
    .action(async () => {
      const config = loadAgentConfig();
      const agent = createAgent(config);
      // SIGTERM during the startup sync must still finish cleanly, so listen from the start.
      const stopped = new Promise<NodeJS.Signals>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
      });
      agent.engine.on("cycle", (r) => {
        if (r.error) console.log(`sync failed: ${r.error}`);
        else if (r.pushed || r.pulled || r.conflicts || r.failed)
          console.log(`sync: pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
      });
      agent.engine.on("state", (s) => {
        if (s.kind === "circuit-open")
          console.log(
            `circuit open after ${s.failures} consecutive failures; next probe at ${new Date(s.retryAt).toISOString()}`,
          );
      });
      // Timers first: a failing startup sync is retried by the engine's backoff timer.
      agent.engine.start();
      void agent.engine.runCycle().then((first) => {
        if (first.skipped === "paused") console.log("sync is paused on this terminal (tillsync-agent resume)");
        else if (first.error) console.log(`startup sync failed (${first.error}); retrying in the background`);
        else console.log(`startup sync: pushed ${first.pushed}, pulled ${first.pulled}`);
      });
      const stopHeartbeat = startHeartbeat(transportOf(config), agent.engine, agent.outbox);
      // socket.io: sync:trigger runs a cycle at once; sync:pause/resume from central's emergency stop.
      const link = startSocketLink(agent, config, { heartbeatMs: 0, log: (m) => console.log(m) });
      const stopCleanup = scheduleDailyCleanup(
        agent.db,
        config.OUTBOX_RETENTION_DAYS ?? AGENT_DEFAULTS.OUTBOX_RETENTION_DAYS,
        (r) => console.log(`daily cleanup: deleted ${r.outbox} synced outbox row(s), ${r.history} history row(s)`),
      );
      console.log("running");
      console.log(`${await stopped}: finishing the batch in flight`);
      stopHeartbeat();
      stopCleanup();
      await link.stop();
      await agent.close(); // waits for the batch in flight; takes no new one
      console.log("stopped");
      // Everything of ours is closed or unref'd; this only guards against a stray handle
      // keeping a stopped daemon alive under systemd.
      setTimeout(() => process.exit(EXIT.OK), 2_000).unref();
    });

  program
    .command("startup")
    .description("sync from central now; --force re-downloads everything (a lost or new database)")
    .option("--force", "empty what central owns locally and download it again (keeps unsent sales)")
    .option(
      "--page-size <n>",
      `rows per page while re-downloading (max ${MAX_PULL_LIMIT})`,
      positiveInt(MAX_PULL_LIMIT),
      1000,
    )
    .action(async (opts: { force?: boolean; pageSize: number }) => {
      const config = loadAgentConfig();
      if (opts.force) {
        const db = openTerminalDb(config.databasePath);
        try {
          const progress = progressReporter(process.stdout);
          const r = await forceStartup(db, transportOf(config), {
            pageSize: opts.pageSize,
            onPage: (p, n) => progress.page(p, n),
          });
          progress.done(r.pages, r.rows);
          if (r.resumed) console.log("continued an interrupted recovery");
        } finally {
          db.close();
        }
      }
      const agent = createAgent(config, undefined, { persistState: false });
      const r = await agent.engine.runCycle();
      await agent.close();
      if (r.skipped === "paused")
        throw new CommandFailed("sync is paused on this terminal; run `tillsync-agent resume` first");
      if (r.error) throw new CommandFailed(`startup sync failed: ${r.error}`);
      console.log(`startup sync: pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
    });

  program
    .command("sync")
    .description("run one push + pull cycle now")
    .option("--dry-run", "print what would be pushed and pulled; change nothing")
    .action(async (opts: { dryRun?: boolean }) => {
      const config = loadAgentConfig();
      if (opts.dryRun) {
        const db = openTerminalDb(config.databasePath);
        try {
          console.log(formatDryRun(await dryRun(db, transportOf(config))));
        } finally {
          db.close();
        }
        return;
      }
      const agent = createAgent(config, undefined, { persistState: false });
      const r = await agent.engine.runCycle();
      await agent.close();
      if (r.skipped === "paused")
        throw new CommandFailed("sync is paused on this terminal; run `tillsync-agent resume` first");
      if (r.error) throw new CommandFailed(`sync failed: ${r.error}`);
      console.log(`pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
    });

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

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
    fail(err);
  }
}
