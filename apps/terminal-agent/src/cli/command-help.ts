import type { Command } from "commander";

/** The variables a command reads, for its --help (README's table has them all). */
const CENTRAL = [
  "  CENTRAL_API_URL        central's base URL (required; https, or http only to loopback unless ALLOW_INSECURE_HTTP=true)",
  "  CENTRAL_API_KEY        this terminal's key (required, or CENTRAL_API_KEY_FILE: a file only its owner can read)",
  "  TERMINAL_ID            this terminal's UUID (required)",
];
const LOCAL = [
  "  TERMINAL_DATABASE_URL  the till's SQLite file (default file:./data/terminal.db, relative to the starting directory)",
  "  LOG_LEVEL              fatal|error|warn|info|debug|trace|silent (default info; --verbose = debug)",
];
const SYNC = [
  "  SYNC_ENABLED           false: do nothing and say so (default true)",
  "  SYNC_BATCH_SIZE, SYNC_TIMEOUT, SYNC_PULL_PAGE_SIZE, SYNC_CONNECT_TIMEOUT_MS, SYNC_READ_TIMEOUT_MS",
];
const DAEMON = [
  "  SYNC_INTERVAL, SYNC_RETRY_ATTEMPTS, SYNC_BREAKER_*, SYNC_BACKOFF_*, HEARTBEAT_INTERVAL_MS, OUTBOX_CLEANUP_HOUR",
  "  AGENT_HTTP_PORT        serve GET /status, GET /metrics, POST /sync on 127.0.0.1 (default off)",
  "  OUTBOX_RETENTION_DAYS, HISTORY_RETENTION_DAYS  what the daily cleanup keeps",
];

export type VariableSet = "central" | "local" | "sync" | "daemon";

const SETS: Record<VariableSet, string[]> = { central: CENTRAL, local: LOCAL, sync: SYNC, daemon: DAEMON };

/** Adds "Variables:" to the command's --help; every variable set is validated whatever the command. */
export function withVariables(cmd: Command, sets: VariableSet[]): Command {
  const lines = sets.flatMap((s) => SETS[s]);
  return cmd.addHelpText("after", `\nVariables:\n${lines.join("\n")}\n`);
}
