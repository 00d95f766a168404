import { z } from "zod";
import {
  CONFLICT_STRATEGIES,
  ConfigError,
  describeZodError,
  SYNC_TABLES,
  type PolicyOverrides,
} from "@tillsync/shared";

export const CENTRAL_DEFAULTS = {
  DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/tillsync",
  REDIS_URL: "redis://127.0.0.1:6379",
  PORT: 4000,
  HEARTBEAT_TIMEOUT_S: 90,
} as const;

const policyOverridesSchema = z.partialRecord(
  z.enum(SYNC_TABLES),
  z.object({ strategy: z.enum(CONFLICT_STRATEGIES as [string, ...string[]]) }).strict(),
) as z.ZodType<PolicyOverrides>;

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
  /**
   * Operator overrides of the sync policy, as JSON: {"products": {"strategy": "MANUAL_MERGE"}}.
   * Only conflict strategies can be changed here; directions and scopes are the protocol.
   */
  SYNC_POLICY_OVERRIDES: z
    .string()
    .optional()
    .transform((s, ctx): PolicyOverrides => {
      if (!s) return {};
      let raw: unknown;
      try {
        raw = JSON.parse(s);
      } catch {
        ctx.addIssue({ code: "custom", message: 'must be JSON, e.g. {"products":{"strategy":"MANUAL_MERGE"}}' });
        return z.NEVER;
      }
      const r = policyOverridesSchema.safeParse(raw);
      if (!r.success) {
        ctx.addIssue({ code: "custom", message: describeZodError(r.error) });
        return z.NEVER;
      }
      return r.data;
    }),
});

export type CentralConfig = z.infer<typeof schema>;

/** Parses the environment once, at start; the error names every bad variable. */
export function loadCentralConfig(env: NodeJS.ProcessEnv = process.env): CentralConfig {
  const r = schema.safeParse(env);
  if (!r.success) throw new ConfigError(`invalid central configuration: ${describeZodError(r.error)}`);
  return r.data;
}
