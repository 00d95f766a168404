import { readFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { setUpCommand } from "./cli/cli-context";
import { EXIT, fail } from "./cli/cli-errors";
import { addInspectCommands } from "./cli/inspect-commands";
import { addLocalCommands } from "./cli/local-commands";
import { addResendCommand } from "./cli/resend-command";
import { addStartCommand } from "./cli/start-command";
import { addSyncCommands } from "./cli/sync-commands";
import { addTestConnectionCommand } from "./cli/test-connection";

/** The package's version: src/ and dist/ both sit one level below package.json. */
function version(): string {
  return (JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
}

/** `tillsync-agent`: parses the command line; each command lives in its own module under cli/. */
function buildCli(): Command {
  const program = new Command("tillsync-agent")
    .description("tillsync terminal agent: keeps this till's SQLite database in sync with central")
    .version(version(), "-V, --version", "print the agent's version")
    .option("--verbose", "log at debug level (overrides LOG_LEVEL)")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`tillsync-agent: ${str.replace(/^error: /, "")}`) })
    .addHelpText(
      "after",
      "\nEvery variable that is set is validated by every command; `<command> --help` lists the ones it reads.\n",
    )
    .hook("preAction", (root, action) => void setUpCommand(root, action));
  addStartCommand(program);
  addSyncCommands(program);
  addTestConnectionCommand(program);
  addLocalCommands(program);
  addInspectCommands(program);
  addResendCommand(program);
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
