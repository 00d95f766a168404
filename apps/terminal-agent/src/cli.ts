import { Command, CommanderError } from "commander";
import { TillsyncError } from "@tillsync/shared";
import { createAgent } from "./agent";
import { loadAgentConfig } from "./config";

/** Exit codes: 0 ok, 1 the operation failed (e.g. central unreachable), 2 bad config or usage. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

function fail(err: unknown): never {
  const e = err as Error;
  console.error(`tillsync-agent: ${e.message}`);
  process.exit(err instanceof TillsyncError && err.code === "CONFIG_INVALID" ? EXIT.USAGE : EXIT.FAILED);
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
      const agent = createAgent(loadAgentConfig());
      agent.outbox.resetInFlight();
      const first = await agent.engine.runCycle();
      console.log(first.error ? `startup sync failed (${first.error}); retrying in the background` : `startup sync: pushed ${first.pushed}, pulled ${first.pulled}`);
      agent.engine.start();
      agent.engine.on("cycle", (r) => {
        if (r.error) console.log(`sync failed: ${r.error}`);
        else if (r.pushed || r.pulled || r.conflicts || r.failed) console.log(`sync: pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
      });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
      await agent.close();
      console.log("stopped");
    });

  program
    .command("sync")
    .description("run one push + pull cycle now")
    .action(async () => {
      const agent = createAgent(loadAgentConfig());
      agent.outbox.resetInFlight();
      const r = await agent.engine.runCycle();
      await agent.close();
      if (r.error) throw new Error(`sync failed: ${r.error}`);
      console.log(`pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
    });

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
