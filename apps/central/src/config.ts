import { z } from "zod";
import { ConfigError, describeZodError } from "@tillsync/shared";

export const CENTRAL_DEFAULTS = {
  DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/tillsync",
  REDIS_URL: "redis://127.0.0.1:6379",
  PORT: 4000,
  HEARTBEAT_TIMEOUT_S: 90,
} as const;

const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .default(CENTRAL_DEFAULTS.DATABASE_URL),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .default(CENTRAL_DEFAULTS.REDIS_URL),
  PORT: z.coerce.number().int().min(0).max(65535).default(CENTRAL_DEFAULTS.PORT),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters (it guards every admin endpoint)"),
  HEARTBEAT_TIMEOUT_S: z.coerce.number().int().min(5).default(CENTRAL_DEFAULTS.HEARTBEAT_TIMEOUT_S),
  /** Prefix for every Redis key this instance uses, so tests and tenants can share a server. */
  REDIS_PREFIX: z.string().min(1).default("tillsync"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type CentralConfig = z.infer<typeof schema>;

/** Parses the environment once, at start; the error names every bad variable. */
export function loadCentralConfig(env: NodeJS.ProcessEnv = process.env): CentralConfig {
  const r = schema.safeParse(env);
  if (!r.success) throw new ConfigError(`invalid central configuration: ${describeZodError(r.error)}`);
  return r.data;
}
