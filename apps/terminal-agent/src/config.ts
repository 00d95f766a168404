import { z } from "zod";
import { ConfigError, describeZodError, MAX_PULL_LIMIT, MAX_PUSH_BATCH } from "@tillsync/shared";

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
} as const;

const positiveInt = (name: string) =>
  z.coerce
    .number({ message: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .positive(`${name} must be above 0`);

const upTo = (name: string, max: number) => positiveInt(name).max(max, `${name} must be at most ${max}`);

/** A positive integer variable with its default from AGENT_DEFAULTS. */
const tunable = <K extends keyof typeof AGENT_DEFAULTS>(name: K, max?: number) =>
  (max === undefined ? positiveInt(name) : upTo(name, max)).default(AGENT_DEFAULTS[name] as number);

const schema = z.object({
  CENTRAL_API_URL: z
    .url({ message: "must be an http(s) URL, e.g. http://central:4000" })
    .refine((u) => /^https?:\/\//.test(u), "must start with http:// or https://"),
  CENTRAL_API_KEY: z.string().min(10, "must be the terminal key central returned when the terminal was created"),
  TERMINAL_ID: z.uuid({ message: "must be the terminal's UUID" }),
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

/** The parsed agent config: every variable with its default applied, and the database file. */
export type AgentConfig = z.infer<typeof schema> & { databasePath: string };

/** The parts of the config that only need the local database (status, pause, cleanup...). */
const localSchema = schema.pick({ TERMINAL_DATABASE_URL: true, SYNC_INTERVAL: true, OUTBOX_RETENTION_DAYS: true });

export type LocalConfig = z.infer<typeof localSchema> & { databasePath: string };

function fail(error: z.ZodError): never {
  throw new ConfigError(`invalid agent configuration: ${describeZodError(error)}`);
}

function databasePathOf(url: string): string {
  return url.replace(/^file:/, "");
}

/** Parses the environment once, at start; the error names every bad variable. */
export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const r = schema.safeParse(env);
  if (!r.success) fail(r.error);
  return { ...r.data, databasePath: databasePathOf(r.data.TERMINAL_DATABASE_URL) };
}

/** For commands that never talk to central: only the database location is needed. */
export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const r = localSchema.safeParse(env);
  if (!r.success) fail(r.error);
  return { ...r.data, databasePath: databasePathOf(r.data.TERMINAL_DATABASE_URL) };
}
