/** One line per variable, as `--help` lists them (README's configuration table has the detail). */
const VARIABLES: Record<string, string> = {
  DATABASE_URL: "PostgreSQL URL (default postgresql://postgres@127.0.0.1:5432/tillsync; created when missing)",
  REDIS_URL: "Redis URL (default redis://127.0.0.1:6379)",
  ADMIN_TOKEN: "bearer token of the admin endpoints (required, at least 16 characters)",
  PORT: "HTTP port (default 4000)",
  REDIS_PREFIX: "prefix of every Redis key (default tillsync)",
  HEARTBEAT_TIMEOUT_S: "silence after which a terminal is OFFLINE (default 90)",
  DEFAULT_SCHEDULE: "cron of the schedule created on first start (default 0 */6 * * *), or off",
  ALERT_WEBHOOK_URL: "where alerts are POSTed, signed with ALERT_WEBHOOK_SECRET (optional)",
  LOG_LEVEL: "pino level (default info)",
  TLS_CERT_FILE: "with TLS_KEY_FILE: serve HTTPS",
  SYNC_POLICY_OVERRIDES: 'JSON conflict strategy per table, e.g. {"products":{"strategy":"MANUAL_MERGE"}}',
};

/** The `--help` epilogue naming the environment variables a command reads. */
export function envHelp(names: Array<keyof typeof VARIABLES>, more = ""): string {
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${VARIABLES[n]}`);
  return `\nEnvironment:\n${lines.join("\n")}${more ? `\n  ${more}` : ""}\n`;
}

/** Every variable `serve` reads. */
export const SERVE_VARIABLES = Object.keys(VARIABLES);
