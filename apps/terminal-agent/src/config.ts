import { z } from "zod";
import { ConfigError, MAX_PULL_LIMIT, MAX_PUSH_BATCH } from "@tillsync/shared";
import { checkTransportSecurity, readKeyFile, resolveDatabasePath } from "./config/env-checks";

/**
 * Every default of the agent, beside the schema that applies it. The SPEC §5 variables come
 * first; the rest are the engine's and transport's tunables, documented in README's
 * configuration table. Durations carry their unit in the name (SPEC's SYNC_INTERVAL and
 * SYNC_TIMEOUT are seconds).
 */
export const AGENT_DEFAULTS = {
  TERMINAL_DATABASE_URL: "file:./data/terminal.db",
  SYNC_INTERVAL: 300,
  SYNC_BATCH_SIZE: 100,
  SYNC_TIMEOUT: 30,
  SYNC_RETRY_ATTEMPTS: 3,
  OUTBOX_RETENTION_DAYS: 7,
  /** `startup --force` also restores this terminal's own orders (lines, payments) of this many days. */
  HISTORY_DAYS: 30,
  /** Failed cycles an outage needs (over the breaker window, 30 s) to open the circuit (G6). */
  SYNC_BREAKER_THRESHOLD: 5,
  /** The longest cool-down of an open circuit (G6: 5 minutes); it starts at 10 s and doubles. */
  SYNC_BREAKER_COOLDOWN_MS: 5 * 60_000,
  /** Full-jitter backoff after failed cycles: uniform in [0, min(cap, base·2^failures)]. */
  SYNC_BACKOFF_BASE_MS: 1_000,
  SYNC_BACKOFF_CAP_MS: 60_000,
  /**
   * How often the daemon reads PRAGMA data_version to notice the till's commits (CRITICAL
   * rows, pause/resume from the CLI). One counter read; it is the floor of write → push latency.
   */
  SYNC_WATCH_MS: 10,
  /** Rows per pull page in regular cycles (and dry runs). */
  SYNC_PULL_PAGE_SIZE: MAX_PULL_LIMIT,
  /** Rows per page of `startup --force` (each page commits with its cursor); `--page-size` overrides. */
  SYNC_RECOVERY_PAGE_SIZE: 1_000,
  /** TCP/TLS connect deadline: a central that does not answer SYN is down, not slow. */
  SYNC_CONNECT_TIMEOUT_MS: 10_000,
  /** Silence allowed on an open connection while waiting for, or reading, central's answer. */
  SYNC_READ_TIMEOUT_MS: 20_000,
  /** A change central rejected waits min(cap, base·2^attempts) before its next attempt. */
  SYNC_REJECT_BACKOFF_BASE_MS: 5_000,
  SYNC_REJECT_BACKOFF_CAP_MS: 300_000,
  /** Well inside central's HEARTBEAT_TIMEOUT_S (90 s): two beats may be lost before OFFLINE. */
  HEARTBEAT_INTERVAL_MS: 30_000,
  /** socket.io reconnection: first delay and cap (it backs off between them). */
  SOCKET_RECONNECT_DELAY_MS: 500,
  SOCKET_RECONNECT_DELAY_MAX_MS: 5_000,
  /** Local hour (0–23) of the daemon's daily outbox cleanup: the quietest hour in a shop. */
  OUTBOX_CLEANUP_HOUR: 3,
  /** Days of `history` (cycles and operator commands) the daily cleanup keeps. */
  HISTORY_RETENTION_DAYS: 30,
  LOG_LEVEL: "info",
} as const;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const positiveInt = (name: string) =>
  z.coerce
    .number({ message: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .positive(`${name} must be above 0`);

const upTo = (name: string, max: number) => positiveInt(name).max(max, `${name} must be at most ${max}`);

/** A positive integer variable with its default from AGENT_DEFAULTS. */
const tunable = <K extends keyof typeof AGENT_DEFAULTS>(name: K, max?: number) =>
  (max === undefined ? positiveInt(name) : upTo(name, max)).default(AGENT_DEFAULTS[name] as number);

const centralFields = {
  CENTRAL_API_URL: z
    .url({ message: "must be an http(s) URL, e.g. https://central.example:4000" })
    .refine((u) => /^https?:\/\//.test(u), "must start with http:// or https://"),
  CENTRAL_API_KEY: z.string().min(10, "must be the terminal key central returned when the terminal was created"),
  TERMINAL_ID: z.uuid({ message: "must be the terminal's UUID" }),
};

const flag = (name: string, fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"], { message: `${name} must be true or false` })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === "true" || v === "1"));

/** Every variable, the central ones optional: what commands that never talk to central read. */
const localSchema = z.object({
  CENTRAL_API_URL: centralFields.CENTRAL_API_URL.optional(),
  CENTRAL_API_KEY: centralFields.CENTRAL_API_KEY.optional(),
  /** Read by loadAgentConfig into CENTRAL_API_KEY; kept so `config` can say where the key came from. */
  CENTRAL_API_KEY_FILE: z.string().min(1).optional(),
  TERMINAL_ID: centralFields.TERMINAL_ID.optional(),
  ALLOW_INSECURE_HTTP: flag("ALLOW_INSECURE_HTTP", false),
  SYNC_ENABLED: flag("SYNC_ENABLED", true),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}` })
    .default(AGENT_DEFAULTS.LOG_LEVEL),
  AGENT_HTTP_PORT: z.coerce
    .number({ message: "AGENT_HTTP_PORT must be a port number" })
    .int("AGENT_HTTP_PORT must be a whole number")
    .min(0, "AGENT_HTTP_PORT must be from 0 to 65535")
    .max(65535, "AGENT_HTTP_PORT must be from 0 to 65535")
    .optional(),
  HISTORY_RETENTION_DAYS: tunable("HISTORY_RETENTION_DAYS"),
  TERMINAL_DATABASE_URL: z
    .string()
    .regex(/^file:.+/, "must look like file:./data/terminal.db")
    .default(AGENT_DEFAULTS.TERMINAL_DATABASE_URL),
  SYNC_INTERVAL: tunable("SYNC_INTERVAL"),
  SYNC_BATCH_SIZE: tunable("SYNC_BATCH_SIZE", MAX_PUSH_BATCH),
  SYNC_TIMEOUT: tunable("SYNC_TIMEOUT"),
  SYNC_RETRY_ATTEMPTS: tunable("SYNC_RETRY_ATTEMPTS"),
  /** SYNCED outbox rows older than this are deleted by the daily cleanup. */
  OUTBOX_RETENTION_DAYS: tunable("OUTBOX_RETENTION_DAYS"),
  HISTORY_DAYS: tunable("HISTORY_DAYS"),
  SYNC_BREAKER_THRESHOLD: tunable("SYNC_BREAKER_THRESHOLD"),
  SYNC_BREAKER_COOLDOWN_MS: tunable("SYNC_BREAKER_COOLDOWN_MS"),
  SYNC_BACKOFF_BASE_MS: tunable("SYNC_BACKOFF_BASE_MS"),
  SYNC_BACKOFF_CAP_MS: tunable("SYNC_BACKOFF_CAP_MS"),
  SYNC_WATCH_MS: tunable("SYNC_WATCH_MS"),
  SYNC_PULL_PAGE_SIZE: tunable("SYNC_PULL_PAGE_SIZE", MAX_PULL_LIMIT),
  SYNC_RECOVERY_PAGE_SIZE: tunable("SYNC_RECOVERY_PAGE_SIZE", MAX_PULL_LIMIT),
  SYNC_CONNECT_TIMEOUT_MS: tunable("SYNC_CONNECT_TIMEOUT_MS"),
  SYNC_READ_TIMEOUT_MS: tunable("SYNC_READ_TIMEOUT_MS"),
  SYNC_REJECT_BACKOFF_BASE_MS: tunable("SYNC_REJECT_BACKOFF_BASE_MS"),
  SYNC_REJECT_BACKOFF_CAP_MS: tunable("SYNC_REJECT_BACKOFF_CAP_MS"),
  HEARTBEAT_INTERVAL_MS: tunable("HEARTBEAT_INTERVAL_MS"),
  SOCKET_RECONNECT_DELAY_MS: tunable("SOCKET_RECONNECT_DELAY_MS"),
  SOCKET_RECONNECT_DELAY_MAX_MS: tunable("SOCKET_RECONNECT_DELAY_MAX_MS"),
  OUTBOX_CLEANUP_HOUR: z.coerce
    .number({ message: "OUTBOX_CLEANUP_HOUR must be a number" })
    .int("OUTBOX_CLEANUP_HOUR must be a whole number")
    .min(0, "OUTBOX_CLEANUP_HOUR must be an hour from 0 to 23")
    .max(23, "OUTBOX_CLEANUP_HOUR must be an hour from 0 to 23")
    .default(AGENT_DEFAULTS.OUTBOX_CLEANUP_HOUR),
});

/** Every variable the agent reads (the names `unknownVariables` compares against). */
export const AGENT_VARIABLES = Object.keys(localSchema.shape) as readonly (keyof typeof localSchema.shape)[];

/** What commands that talk to central need: the central fields required. */
const agentSchema = localSchema.extend(centralFields);

/** The parsed agent config: every variable with its default applied, and the database file. */
export type AgentConfig = z.infer<typeof agentSchema> & { databasePath: string };

/** The config of local commands: everything is validated, the CENTRAL_* ones may be absent. */
export type LocalConfig = z.infer<typeof localSchema> & { databasePath: string };

function parseWith<S extends typeof localSchema | typeof agentSchema>(
  schema: S,
  env: NodeJS.ProcessEnv,
): z.infer<S> & { databasePath: string } {
  // An empty variable (`KEY=` in an env file, `${UNSET}` in compose) counts as unset.
  const set: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== "") set[k] = v;
  if (set.CENTRAL_API_KEY_FILE) {
    if (set.CENTRAL_API_KEY)
      throw new ConfigError("invalid agent configuration: set CENTRAL_API_KEY or CENTRAL_API_KEY_FILE, not both");
    set.CENTRAL_API_KEY = readKeyFile(set.CENTRAL_API_KEY_FILE);
  }
  const r = schema.safeParse(set);
  if (!r.success) throw new ConfigError(`invalid agent configuration: ${describeIssues(r.error, set)}`);
  const data = r.data as z.infer<S>;
  if (data.CENTRAL_API_URL) checkTransportSecurity(data.CENTRAL_API_URL, data.ALLOW_INSECURE_HTTP);
  return { ...data, databasePath: resolveDatabasePath(data.TERMINAL_DATABASE_URL, env) };
}

/**
 * One clause per bad variable. A variable that is not set reads "is required" whatever its
 * format message says (zod reports a missing URL as a malformed one).
 */
function describeIssues(error: z.ZodError, set: NodeJS.ProcessEnv): string {
  return error.issues
    .map((i) => {
      const name = String(i.path[0]);
      // Messages name their variable for other callers; here the name already leads the clause.
      if (set[name] !== undefined) return `${name}: ${i.message.replace(`${name} `, "")}`;
      return `${name}: is required${name === "CENTRAL_API_KEY" ? " (or CENTRAL_API_KEY_FILE)" : ""}`;
    })
    .join("; ");
}

/** Parses the environment once, at start; the error names every bad variable. */
export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return parseWith(agentSchema, env);
}

/**
 * For commands that never talk to central: every variable that is set is still checked (a
 * typo in SYNC_BATCH_SIZE shows on `status`, not first on the daemon's next restart).
 */
export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  return parseWith(localSchema, env);
}
