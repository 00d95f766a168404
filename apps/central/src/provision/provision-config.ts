import { z } from "zod";
import { ConfigError, uuidSchema } from "@tillsync/shared";

/**
 * What the one-shot provisioning of docker-compose.yml creates (deploy/README, the compose
 * file's `provision` service): one store and its terminals, each terminal's key written to a
 * file its agent reads through CENTRAL_API_KEY_FILE. Read from the environment:
 *
 *   CENTRAL_URL             central's base URL (http://central:4000 in compose)
 *   ADMIN_TOKEN             central's admin token
 *   PROVISION_STORE_ID      the store's id (fixed, so a second run finds it)
 *   PROVISION_STORE_NAME    its name
 *   PROVISION_TERMINALS     JSON: [{ "id", "name", "keyFile" }, ...]
 *   PROVISION_KEY_OWNER     "uid:gid" the key files belong to (the agent's user), optional
 *   PROVISION_WAIT_SECONDS  how long to wait for central to be ready (120)
 */
const terminalsSchema = z
  .array(z.object({ id: uuidSchema, name: z.string().min(1), keyFile: z.string().startsWith("/") }).strict())
  .min(1, "must list at least one terminal");

const ownerSchema = z
  .string()
  .regex(/^\d+:\d+$/, 'must be "uid:gid" in numbers')
  .transform((s) => {
    const [uid, gid] = s.split(":").map(Number);
    return { uid: uid!, gid: gid! };
  });

const jsonSchema = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: "custom", message: "is not valid JSON" });
    return z.NEVER;
  }
});

const provisionEnvSchema = z.object({
  CENTRAL_URL: z.url({ protocol: /^https?$/ }),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters"),
  PROVISION_STORE_ID: uuidSchema,
  PROVISION_STORE_NAME: z.string().min(1),
  PROVISION_TERMINALS: jsonSchema.pipe(terminalsSchema),
  PROVISION_KEY_OWNER: ownerSchema.optional(),
  PROVISION_WAIT_SECONDS: z.coerce.number().int().positive().default(120),
});

export type ProvisionConfig = z.infer<typeof provisionEnvSchema>;

/** Parses the environment; a bad or missing variable is a ConfigError naming it. */
export function loadProvisionConfig(env: NodeJS.ProcessEnv): ProvisionConfig {
  const r = provisionEnvSchema.safeParse(env);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = issue.path.map(String).join(".");
  const missing = issue.code === "invalid_type" && env[String(issue.path[0])] === undefined;
  throw new ConfigError(`${name}: ${missing ? "is required" : issue.message}`);
}
