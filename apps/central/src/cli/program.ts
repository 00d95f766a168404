import { Command, CommanderError } from "commander";
import { EXIT } from "./cli-errors";
import { addOperatorsCommand } from "./operators-command";
import { addServeCommand } from "./serve-command";

/**
 * `tillsync-central <command>` (`npm run central -- <command>`): `serve` (the default) and
 * `operators`. Each command lives in its own module beside this one; add new ones here.
 */
export function buildCentralCli(): Command {
  const program = new Command("tillsync-central")
    .description("tillsync central hub")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`tillsync-central: ${str.replace(/^error: /, "")}`) });
  addServeCommand(program);
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
