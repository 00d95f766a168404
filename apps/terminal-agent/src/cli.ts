import { Command, CommanderError } from "commander";
import { EXIT, fail } from "./cli/cli-errors";
import { addLocalCommands } from "./cli/local-commands";
import { addStartCommand } from "./cli/start-command";
import { addSyncCommands } from "./cli/sync-commands";

/** `tillsync-agent`: parses the command line; each command lives in its own module under cli/. */
function buildCli(): Command {
  const program = new Command("tillsync-agent")
    .description("tillsync terminal agent: keeps this till's SQLite database in sync with central")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`tillsync-agent: ${str.replace(/^error: /, "")}`) });
  addStartCommand(program);
  addSyncCommands(program);
  addLocalCommands(program);
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
