import { readFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { EXIT } from "./cli-errors";
import { addMigrateCommand } from "./migrate-command";
import { addOperatorsCommand } from "./operators-command";
import { addServeCommand } from "./serve-command";
import { addStatusCommand } from "./status-command";

/** apps/central/package.json's version; the same relative path from src/cli and dist/cli. */
function centralVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * `tillsync-central <command>` (`npm run central -- <command>`): `serve` (the default),
 * `migrate`, `migrate status`, `status` and `operators`. Each command lives in its own module
 * beside this one; add new ones here.
 */
export function buildCentralCli(): Command {
  const program = new Command("tillsync-central")
    .description("tillsync central hub")
    .version(centralVersion(), "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`tillsync-central: ${str.replace(/^error: /, "")}`) });
  addServeCommand(program);
  addMigrateCommand(program);
  addStatusCommand(program);
  addOperatorsCommand(program);
  return program;
}

/** Parses argv and runs the command; usage errors exit 2 with one line. */
export async function runCentralCli(argv: string[] = process.argv): Promise<void> {
  try {
    await buildCentralCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
    throw err;
  }
}
