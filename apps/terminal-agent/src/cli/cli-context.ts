import type { Command } from "commander";
import { loadLocalConfig, AGENT_VARIABLES, type LocalConfig } from "../config";
import { unknownVariables } from "../config/env-checks";
import { createAgentLogger, type Logger } from "../log/agent-logger";

/** What every command starts from: the validated environment and the logger. */
export interface CliContext {
  local: LocalConfig;
  logger: Logger;
  verbose: boolean;
}

let current: CliContext | undefined;

/**
 * Runs before every command (commander's preAction): every variable that is set is checked
 * here, whatever the command needs, and misspelt ones are named. The daemon logs to stdout;
 * other commands log to stderr, so their stdout is only their output (`status --json`).
 */
export function setUpCommand(program: Command, action: Command): CliContext {
  const verbose = program.opts<{ verbose?: boolean }>().verbose === true;
  const local = loadLocalConfig();
  const logger = createAgentLogger({
    level: verbose ? "debug" : local.LOG_LEVEL,
    stream: action.name() === "start" ? process.stdout : process.stderr,
    bindings: local.TERMINAL_ID ? { terminalId: local.TERMINAL_ID } : {},
  });
  for (const u of unknownVariables(process.env, AGENT_VARIABLES))
    logger.warn(
      { variable: u.name, closest: u.closest },
      `unknown variable ${u.name} is ignored; did you mean ${u.closest}?`,
    );
  current = { local, logger, verbose };
  return current;
}

/** The context of the running command (set up before its action runs). */
export function cli(): CliContext {
  if (!current) throw new Error("command context used before setUpCommand ran");
  return current;
}
