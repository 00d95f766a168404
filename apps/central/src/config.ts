import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { z } from "zod";
import {
  CONFLICT_STRATEGIES,
  ConfigError,
  cronSchema,
  DEFAULT_SCHEDULE_CRON,
  describeZodError,
  SYNC_TABLES,
  type PolicyOverrides,
} from "@tillsync/shared";

/** Defaults of the environment variables (README's configuration table lists them). */
export const CENTRAL_DEFAULTS = {
  DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/tillsync",
  REDIS_URL: "redis://127.0.0.1:6379",
  PORT: 4000,
  HEARTBEAT_TIMEOUT_S: 90,
  REDIS_PREFIX: "tillsync",
  LOG_LEVEL: "info",
  /** sync_history rows older than this are deleted by the daily cleanup. */
  HISTORY_RETENTION_DAYS: 30,
  /**
   * Deletions older than this leave the compacted feed, and a terminal unseen for this long no
   * longer holds compaction back: back online, it gets 410 CURSOR_EXPIRED and re-downloads.
   */
  FEED_RETENTION_DAYS: 30,
  /**
   * applied_changes (the idempotency record) older than this are deleted. It must outlive every
   * re-send: the agents' OUTBOX_RETENTION_DAYS (re-sent after a restore) and any terminal offline
   * with an unconfirmed push. At least FEED_RETENTION_DAYS and 7 days.
   */
  APPLIED_CHANGES_RETENTION_DAYS: 90,
  /** Decided conflicts older than this are deleted; pending ones stay until resolved. */
  CONFLICT_RETENTION_DAYS: 180,
  /** PostgreSQL connections of one instance (HTTP handlers, hub jobs and the sequencer share them). */
  DATABASE_POOL_SIZE: 10,
  /** The schedule created on first start (UTC), or `off`. */
  DEFAULT_SCHEDULE: DEFAULT_SCHEDULE_CRON,
  /** A heartbeat with more pending / failed changes than these raises a SYNC_BACKLOG alert. */
  ALERT_BACKLOG_PENDING: 100,
  ALERT_BACKLOG_FAILED: 5,
} as const;

/**
 * The hub's tunables. They are not environment variables (SPEC fixes some, like the restart
 * trigger's two seconds, and the rest have no operator use), but they live here with the rest
 * of the configuration, and tests override them through `startCentral`'s options.
 */
export const HUB_DEFAULTS = {
  /** SPEC §4: SERVER_RESTART goes out two seconds after the cluster starts. */
  restartTriggerDelayMs: 2_000,
  /** How long one sync:trigger emit waits for the terminal's sync:ack before a retry. */
  ackTimeoutMs: 15_000,
  /** Emits per trigger before it is left pending for the terminal's next connect. */
  deliveryAttempts: 8,
  /** First retry delay of an unacked trigger; BullMQ doubles it per attempt. */
  deliveryBackoffMs: 1_000,
  /**
   * Trigger deliveries one instance runs at once. Each mostly waits for its ack (a listener,
   * woken by the ack; no polling), so this is cheap; below the number of tills of a price
   * change the triggers go out in waves, one agent cycle apart.
   */
  deliveryConcurrency: 2_000,
  /** How often a waiting delivery looks in Redis for its ack anyway (acks wake it at once; this covers a lost wake-up). */
  ackPollMs: 2_000,
  /**
   * How long a verified terminal key is trusted before PostgreSQL is asked again
   * (auth/key-cache.ts). Revocation, rotation and expiry do not wait for it (they invalidate);
   * it outlasts the 30 s heartbeat so a till's every request is served from memory.
   */
  terminalKeyCacheMs: 5 * 60_000,
  /** Verified terminal keys kept at most (one per till; the oldest go first). */
  terminalKeyCacheEntries: 50_000,
  /** Acknowledged cursors written in one statement at most (hub/group-commit.ts). */
  heartbeatBatchMax: 1_000,
  /**
   * Heartbeats written in one statement at most. Smaller than the acknowledge's cap: after
   * PostgreSQL was slow to answer, a statement carries the backlog that queued meanwhile, and
   * building, sending and settling 1,000 of them held central's loop ~450 ms in one go (a
   * heartbeat p99 of 0.4–1.7 s, bench/README.md); 100 a statement serves requests in between.
   */
  heartbeatStatementMax: 100,
  /**
   * Heartbeats are written in one statement at most this often, each carrying all that arrived
   * meanwhile (hub/heartbeat-batcher.ts). They are answered before they are written
   * (routes/heartbeat-route.ts), so this delays only when the row shows them, never the answer;
   * at 10,000 tills (333 a second) it makes about 8 heartbeats a statement instead of one.
   */
  heartbeatWindowMs: 25,
  /**
   * Terminals may acknowledge their cursor over their socket (`sync:cursor`, hub/socket-cursor-ack.ts)
   * instead of a POST per pull; off, the register answer says so and agents use HTTP.
   */
  cursorOverSocket: true,
  /**
   * Terminals may carry their applied cursor on the `sync:ack` of the trigger they synced for
   * (hub/socket-ack.ts) instead of a `sync:cursor` inside each triggered cycle; off, the register
   * answer says so and agents send `sync:cursor` (or HTTP) as before.
   */
  cursorOnAck: true,
  /**
   * Terminals may pull over their socket (`sync:pull`, hub/socket-pull.ts) instead of a GET per
   * pull; off, the register answer says so and agents pull over HTTP.
   */
  pullOverSocket: true,
  /**
   * A feed page is answered from memory to the terminals asking for it while the feed has not
   * moved (feed/feed-page-cache.ts), for at most this long after its read: the bound on a page
   * served late when the feed's notification was lost. 0: every pull reads its page.
   */
  feedPageCacheMs: 1_000,
  /**
   * Pulls arriving while a pull's first statement runs share the next one, this many terminals
   * at most (hub/pull-start-batcher.ts): a price change's thousand pulls in a few dozen statements.
   */
  pullStartBatchMax: 500,
  /** A delivery job that dies silently loses its claim on the terminal after this long. */
  deliveryClaimTtlMs: 10 * 60_000,
  /** Hub jobs (sweep, schedules, cleanup, restart round) one instance runs at once. */
  jobConcurrency: 4,
  /** Terminals triggered per round trip to Redis when many are triggered together. */
  triggerChunk: 100,
  /** How often the OFFLINE sweep runs (once per cluster). */
  sweepEveryMs: 15_000,
  /** A terminal's backlog alert is logged at most this often, cluster-wide. */
  backlogAlertEveryMs: 10 * 60_000,
  /** A heartbeat with more pending changes than this raises a backlog alert. */
  backlogAlertPending: 100,
  /** A heartbeat with more failed changes than this raises a backlog alert (and shows red). */
  backlogAlertFailed: 5,
  /** A terminal that has not synced for this long is "delayed" (yellow). */
  delayedAfterMs: 15 * 60_000,
  /** A run started by POST /api/sync/all ends this long after its triggers if a terminal has not acked. */
  manualRunTimeoutS: 30,
  /** Alert webhook: POSTs per alert before it is given up, first retry delay (doubled each time), timeout of one POST. */
  alertAttempts: 10,
  alertBackoffMs: 1_000,
  alertTimeoutMs: 10_000,
  /** At most one CONFLICTS_WAITING alert per terminal this often. */
  conflictAlertEveryMs: 10 * 60_000,
  /** How often each instance checks that Redis still holds the hub's data (and rebuilds it when not). */
  redisCheckMs: 5_000,
  /** How often a waiting GET /api/sync/runs/:id?wait= looks at the run. */
  runWaitPollMs: 200,
  /** Feed compaction and history retention, once per cluster (cron, UTC). */
  cleanupCron: "30 3 * * *",
  /** Feed notifications are gathered this long into one DATA_CHANGED round. */
  feedDebounceMs: 150,
  /** First wait before reconnecting a lost feed LISTEN connection; doubles up to feedReconnectMaxMs. */
  feedReconnectMs: 1_000,
  feedReconnectMaxMs: 5_000,
  /** The feed LISTEN connection is pinged this often; unanswered for feedPingTimeoutMs, it is replaced. */
  feedPingMs: 10_000,
  feedPingTimeoutMs: 5_000,
  /** How often each instance compares the feed's head with the highest cursor given out (feed/feed-high-water.ts). */
  feedHighWaterCheckMs: 10_000,
  /** The longest that comparison waits for Redis before it gives up (a pull never waits for it). */
  feedHighWaterTimeoutMs: 500,
  /**
   * How long a cluster life outlives its last refresh: after a crash of every instance, the next
   * start waits at most this long before it counts as a new life (and sends SERVER_RESTART).
   */
  clusterTtlMs: 4_000,
  /** How often each instance refreshes its presence; a joiner beside a live peer waits about this long. */
  clusterRefreshMs: 1_000,
  /** Lag in the terminal list is counted up to this many feed entries. */
  lagCap: 100_000,
  /** The largest request body central reads. */
  bodyLimit: "10mb",
  /** Failed sign-ins (and operator tokens) one address may make per window before a 429. */
  failedSignIns: { max: 5, windowMs: 60_000 },
  /** How often each instance re-checks the sessions of its /admin sockets (expiry, revocation by the CLI). */
  adminSessionCheckMs: 30_000,
  /** A terminal's terminal:heartbeat events reach the console at most this often. */
  adminActivityEveryMs: 1_000,
  /** Retry-After of a 423 SYNC_STOPPED: how soon a held terminal asks again (sync:resume tells it at once). */
  stoppedRetryAfterS: 30,
  /** Failed authentications one address may make within authFailureWindowS before it gets 429. */
  authFailureBurst: 10,
  authFailureWindowS: 60,
  /** How long an address that went over the burst gets 429 for a bad credential. */
  authBlockS: 60,
};
export type HubTunables = typeof HUB_DEFAULTS;

/** applied_changes must outlive the agents' default OUTBOX_RETENTION_DAYS (their re-send window). */
const MIN_APPLIED_RETENTION_DAYS = 7;

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
  REDIS_PREFIX: z.string().min(1).default(CENTRAL_DEFAULTS.REDIS_PREFIX),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default(CENTRAL_DEFAULTS.LOG_LEVEL),
  HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).default(CENTRAL_DEFAULTS.HISTORY_RETENTION_DAYS),
  FEED_RETENTION_DAYS: z.coerce.number().int().min(1).default(CENTRAL_DEFAULTS.FEED_RETENTION_DAYS),
  APPLIED_CHANGES_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(
      MIN_APPLIED_RETENTION_DAYS,
      `must be at least ${MIN_APPLIED_RETENTION_DAYS} (the agents keep synced changes 7 days and re-send them after a restore)`,
    )
    .default(CENTRAL_DEFAULTS.APPLIED_CHANGES_RETENTION_DAYS),
  CONFLICT_RETENTION_DAYS: z.coerce.number().int().min(1).default(CENTRAL_DEFAULTS.CONFLICT_RETENTION_DAYS),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(CENTRAL_DEFAULTS.DATABASE_POOL_SIZE),
  /** The schedule created on first start: a cron (UTC), or `off` for none. */
  DEFAULT_SCHEDULE: z
    .union([z.literal("off"), cronSchema], { message: 'must be a cron of 5 fields (e.g. 0 */6 * * *) or "off"' })
    .default(CENTRAL_DEFAULTS.DEFAULT_SCHEDULE),
  /** Signed alerts (alerts/alert-webhook.ts): POSTed here when set; the secret signs them. */
  ALERT_WEBHOOK_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, "must be an http:// or https:// URL")
    .optional(),
  ALERT_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters (it signs every alert)").optional(),
  ALERT_BACKLOG_PENDING: z.coerce.number().int().min(0).default(CENTRAL_DEFAULTS.ALERT_BACKLOG_PENDING),
  ALERT_BACKLOG_FAILED: z.coerce.number().int().min(0).default(CENTRAL_DEFAULTS.ALERT_BACKLOG_FAILED),
  /** PEM certificate (chain) and private key: central serves HTTPS (and WSS) itself when both are set. */
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
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

/**
 * A change can come back for as long as a terminal may stay offline and still resume from its
 * cursor (FEED_RETENTION_DAYS): its idempotency record must still be there.
 */
const retentionSchema = schema.refine((c) => c.APPLIED_CHANGES_RETENTION_DAYS >= c.FEED_RETENTION_DAYS, {
  message: "must be at least FEED_RETENTION_DAYS (a terminal offline that long may still re-send what central applied)",
  path: ["APPLIED_CHANGES_RETENTION_DAYS"],
});

/** The certificate and key central serves HTTPS with, read and checked at start. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** Central's whole configuration: the parsed environment, the TLS files, and the hub's tunables. */
export type CentralConfig = z.infer<typeof schema> & { hub: HubTunables; tls: TlsFiles | null };

/** Parses the environment once, at start; the error names every bad variable. */
export function loadCentralConfig(env: NodeJS.ProcessEnv = process.env): CentralConfig {
  const r = retentionSchema.safeParse(env);
  if (!r.success) throw new ConfigError(`invalid central configuration: ${describeZodError(r.error)}`);
  if (r.data.ALERT_WEBHOOK_URL && !r.data.ALERT_WEBHOOK_SECRET)
    throw new ConfigError(
      "invalid central configuration: ALERT_WEBHOOK_SECRET: is required when ALERT_WEBHOOK_URL is set (it signs every alert)",
    );
  const hub = {
    ...HUB_DEFAULTS,
    backlogAlertPending: r.data.ALERT_BACKLOG_PENDING,
    backlogAlertFailed: r.data.ALERT_BACKLOG_FAILED,
  };
  return { ...r.data, hub, tls: loadTls(r.data.TLS_CERT_FILE, r.data.TLS_KEY_FILE) };
}

function readPem(variable: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(
      `invalid central configuration: ${variable}: cannot read ${file} (${(err as Error).message})`,
    );
  }
}

/** Both files or neither; each readable PEM, and the key the certificate's. */
function loadTls(certFile: string | undefined, keyFile: string | undefined): TlsFiles | null {
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) {
    const missing = certFile ? "TLS_KEY_FILE" : "TLS_CERT_FILE";
    throw new ConfigError(
      `invalid central configuration: ${missing}: is required when ${missing === "TLS_KEY_FILE" ? "TLS_CERT_FILE" : "TLS_KEY_FILE"} is set (HTTPS needs both)`,
    );
  }
  const files = { cert: readPem("TLS_CERT_FILE", certFile), key: readPem("TLS_KEY_FILE", keyFile) };
  try {
    createSecureContext(files);
  } catch (err) {
    const msg = (err as Error).message;
    const variable = /key/i.test(msg) && !/certificate/i.test(msg) ? "TLS_KEY_FILE" : "TLS_CERT_FILE";
    throw new ConfigError(
      `invalid central configuration: ${variable}: ${certFile} and ${keyFile} are not a PEM certificate and its private key (${msg})`,
    );
  }
  return files;
}

const databaseSchema = schema.pick({ DATABASE_URL: true });
const statusSchema = schema.pick({ DATABASE_URL: true, SYNC_POLICY_OVERRIDES: true });

/** DATABASE_URL and SYNC_POLICY_OVERRIDES: what `status` needs to read the figures from PostgreSQL. */
export function loadStatusConfig(env: NodeJS.ProcessEnv = process.env): z.infer<typeof statusSchema> {
  const r = statusSchema.safeParse(env);
  if (!r.success) throw new ConfigError(`invalid central configuration: ${describeZodError(r.error)}`);
  return r.data;
}

/** Only DATABASE_URL, for commands that touch nothing else (`operators ...`: no ADMIN_TOKEN needed). */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): z.infer<typeof databaseSchema> {
  const r = databaseSchema.safeParse(env);
  if (!r.success) throw new ConfigError(`invalid central configuration: ${describeZodError(r.error)}`);
  return r.data;
}
