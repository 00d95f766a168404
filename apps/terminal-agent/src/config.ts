import { z } from "zod";
import { ConfigError, describeZodError } from "@tillsync/shared";

export const AGENT_DEFAULTS = {
  TERMINAL_DATABASE_URL: "file:./data/terminal.db",
  SYNC_INTERVAL: 300,
  SYNC_BATCH_SIZE: 100,
  SYNC_TIMEOUT: 30,
  SYNC_RETRY_ATTEMPTS: 3,
  OUTBOX_RETENTION_DAYS: 7,
} as const;

const positiveInt = (name: string) =>
  z.coerce
    .number({ message: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .positive(`${name} must be above 0`);

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
  SYNC_INTERVAL: positiveInt("SYNC_INTERVAL").default(AGENT_DEFAULTS.SYNC_INTERVAL),
  SYNC_BATCH_SIZE: positiveInt("SYNC_BATCH_SIZE")
    .max(1000, "SYNC_BATCH_SIZE must be at most 1000")
    .default(AGENT_DEFAULTS.SYNC_BATCH_SIZE),
  SYNC_TIMEOUT: positiveInt("SYNC_TIMEOUT").default(AGENT_DEFAULTS.SYNC_TIMEOUT),
  SYNC_RETRY_ATTEMPTS: positiveInt("SYNC_RETRY_ATTEMPTS").default(AGENT_DEFAULTS.SYNC_RETRY_ATTEMPTS),
  /** SYNCED outbox rows older than this are deleted by the daily 03:00 cleanup. */
  OUTBOX_RETENTION_DAYS: positiveInt("OUTBOX_RETENTION_DAYS").default(AGENT_DEFAULTS.OUTBOX_RETENTION_DAYS),
});

/** Parsed agent config; OUTBOX_RETENTION_DAYS is optional for callers that build one by hand (tests, demo). */
export type AgentConfig = Omit<z.infer<typeof schema>, "OUTBOX_RETENTION_DAYS"> & {
  OUTBOX_RETENTION_DAYS?: number;
  databasePath: string;
};

/** The parts of the config that only need the local database (status, pause, cleanup...). */
const localSchema = schema.pick({ TERMINAL_DATABASE_URL: true, SYNC_INTERVAL: true, OUTBOX_RETENTION_DAYS: true });

export type LocalConfig = z.infer<typeof localSchema> & { databasePath: string };

function fail(error: z.ZodError): never {
  throw new ConfigError(`invalid agent configuration: ${describeZodError(error)}`);
}

export function databasePathOf(url: string): string {
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
