import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Express } from "express";
import { Redis } from "ioredis";
import { resolvePolicy, validatePolicy, type ProtocolRange, type SyncPolicy } from "@tillsync/shared";
import { startConsoleLive } from "./admin/console-live";
import { AlertWebhook } from "./alerts/alert-webhook";
import { createApp } from "./app";
import { AuthThrottle } from "./auth/auth-throttle";
import { TerminalKeyCache } from "./auth/key-cache";
import type { CentralConfig, HubTunables } from "./config";
import { bullConnection, queuePrefix } from "./hub/bull-connection";
import { expressRequestClasses, type ExpressRequestClasses } from "./http/express-request-classes";
import { AckBatcher } from "./hub/ack-batcher";
import { PullStartBatcher } from "./hub/pull-start-batcher";
import {
  afterHeartbeats,
  CONTROL_HEARTBEAT_READS,
  hubHeartbeatBatcher,
  TERMINAL_HEARTBEAT_READS,
} from "./hub/heartbeat-batcher";
import { Hub } from "./hub/hub";
import { createLogger, type Logger } from "./observability/logger";
import { FeedHighWater } from "./feed/feed-high-water";
import { HubMetrics } from "./observability/metrics";
import { centralStore, type CentralStore } from "./store/central-store";
import { openCentralDb, type CentralDb } from "./store/database";
import { ensureDatabase } from "./store/ensure-database";
import { migrateCentral } from "./store/migrate";
import type { StoredHeartbeat } from "./store/stored-heartbeat";

export interface RunningCentral {
  port: number;
  db: CentralDb;
  /** The storage layer every route and job goes through. */
  store: CentralStore;
  /** Verified terminal keys this instance trusts for a few seconds (auth/key-cache.ts). */
  keyCache: TerminalKeyCache;
  policy: SyncPolicy;
  redis: Redis;
  server: Server;
  hub: Hub;
  metrics: HubMetrics;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Overrides of `config.hub` (tests shorten the OFFLINE sweep, the ack timeout...). */
  hub?: Partial<HubTunables>;
  /** Where log lines go instead of stdout (tests read them). */
  logDestination?: { write(line: string): void };
  /** The protocols /api/sync serves (default: this build's); a test plays a later central that dropped one. */
  protocols?: ProtocolRange;
}

/** DATABASE_URL's database, created when missing and migrated; each step logged. */
async function openMigratedDb(config: CentralConfig, logger: Logger): Promise<CentralDb> {
  if (await ensureDatabase(config.DATABASE_URL))
    logger.info("created the database DATABASE_URL names (it did not exist)");
  const db = openCentralDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  await migrateCentral(db.pool, undefined, (migration) => logger.info({ migration }, `applied migration ${migration}`));
  return db;
}

/** Alerts: logged, and POSTed signed to ALERT_WEBHOOK_URL when it is set. */
function alertWebhook(config: CentralConfig, redis: Redis, logger: Logger): AlertWebhook {
  const t = config.hub;
  return new AlertWebhook({
    connection: bullConnection(config.REDIS_URL),
    prefix: queuePrefix(config.REDIS_PREFIX),
    redis,
    log: logger.child({ component: "alerts" }),
    url: config.ALERT_WEBHOOK_URL ?? null,
    secret: config.ALERT_WEBHOOK_SECRET ?? null,
    attempts: t.alertAttempts,
    backoffMs: t.alertBackoffMs,
    timeoutMs: t.alertTimeoutMs,
  });
}

/** HTTPS (and WSS) when TLS_CERT_FILE/TLS_KEY_FILE are set (the files were checked at start), else HTTP. */
function httpServer(tls: CentralConfig["tls"]): { server: Server; classes: ExpressRequestClasses } {
  // Requests made with the app's prototypes, which serveApp hands the app (http/express-request-classes.ts: why).
  const classes = expressRequestClasses();
  const made = { IncomingMessage: classes.IncomingMessage, ServerResponse: classes.ServerResponse };
  const server: Server = tls ? (createHttpsServer({ ...tls, ...made }) as unknown as Server) : createServer(made);
  // Clients pool connections for a few seconds (undici: up to the server's own hint). Node's
  // 5 s default lets the server close a socket just as a client reuses it (STACK_NOTES), so the
  // server keeps idle sockets longer than any client does and clients close them first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return { server, classes };
}

/**
 * socket.io answers its own HTTP requests (the console's long-polling before it upgrades); it
 * attached to the server before the app existed, so the app leaves those alone. Resolves with
 * the port listened on.
 */
async function serveApp(server: Server, app: Express, port: number, classes: ExpressRequestClasses): Promise<number> {
  classes.adopt(app);
  server.on("request", (req, res) => {
    if (!req.url?.startsWith("/socket.io/")) app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => resolve());
  });
  const address = server.address();
  return typeof address === "object" && address ? address.port : port;
}

/**
 * The store every route, socket and job uses: terminal key lookups go through the key cache,
 * heartbeats and acknowledged cursors through batchers (one statement for all that arrive
 * during a write).
 */
function cachedStore(
  raw: CentralStore,
  redis: Redis,
  config: CentralConfig,
): { store: CentralStore; keyCache: TerminalKeyCache } {
  const keyCache = TerminalKeyCache.start({
    lookup: raw.terminals,
    pub: redis,
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    options: { ttlMs: config.hub.terminalKeyCacheMs, maxEntries: config.hub.terminalKeyCacheEntries },
  });
  const heartbeats = hubHeartbeatBatcher(raw.terminals, config.hub);
  const acks = new AckBatcher(raw.terminals, config.hub.heartbeatBatchMax);
  // Heartbeats are answered before they are written (routes/heartbeat-route.ts): what reads
  // them here waits for those this instance answered.
  const terminals = afterHeartbeats(
    {
      ...keyCache.wrap(raw.terminals),
      recordHeartbeat: (id: string, hb: StoredHeartbeat) => heartbeats.record(id, hb),
      acknowledge: (id: string, cursor: string, epoch?: string) => acks.acknowledge(id, cursor, epoch),
    },
    TERMINAL_HEARTBEAT_READS,
    heartbeats,
  );
  const control = afterHeartbeats(raw.control, CONTROL_HEARTBEAT_READS, heartbeats);
  const starts = new PullStartBatcher(raw.pullStart, config.hub.pullStartBatchMax);
  const pullStart = { ...raw.pullStart, start: (id: string) => starts.start(id) };
  return { store: { ...raw, terminals, control, pullStart }, keyCache };
}

/**
 * The feed's high-water mark (feed/feed-high-water.ts): checked once before serving, then every
 * feedHighWaterCheckMs. A failed check is logged and tried again; it never stops central.
 */
async function watchFeedHighWater(deps: { redis: Redis; store: CentralStore; logger: Logger; tunables: HubTunables }) {
  const { redis, store, logger, tunables } = deps;
  const mark = new FeedHighWater({
    redis,
    identity: store.feedIdentity,
    feed: store.feed,
    log: logger,
    timeoutMs: tunables.feedHighWaterTimeoutMs,
  });
  const check = () => mark.check().catch((err: unknown) => logger.warn({ err }, "feed high-water check failed"));
  const timer = setInterval(() => void check(), tunables.feedHighWaterCheckMs);
  timer.unref();
  await check();
  return { stop: () => clearInterval(timer) };
}

/** Central's Redis client, under its key prefix. */
function connectRedis(config: CentralConfig): Redis {
  const redis = new Redis(config.REDIS_URL, {
    keyPrefix: `${config.REDIS_PREFIX}:`,
    maxRetriesPerRequest: 2,
    lazyConnect: false,
  });
  redis.on("error", () => undefined); // readiness reports it; reconnects are automatic
  return redis;
}

/**
 * The composition root of central: everything is built here from the parsed configuration
 * and handed down (store, policy, tunables), nothing reads the environment or builds its own
 * dependencies. Migrates, then serves HTTP and socket.io on one port. Used by `npm run
 * central`, the demo and the tests.
 */
export async function startCentral(config: CentralConfig, options: StartOptions = {}): Promise<RunningCentral> {
  const effective: CentralConfig = { ...config, hub: { ...config.hub, ...options.hub } };
  const logger = createLogger(config.LOG_LEVEL, {}, options.logDestination);
  const policy = resolvePolicy(config.SYNC_POLICY_OVERRIDES);
  // Once, at start: a broken policy stops central here rather than mis-applying a push later.
  validatePolicy(policy);
  const db = await openMigratedDb(config, logger);
  const redis = connectRedis(config);
  const { store, keyCache } = cachedStore(centralStore(db), redis, effective);
  const metrics = new HubMetrics();
  const throttle = new AuthThrottle(redis, effective.hub);
  // The server exists before the app so socket.io can attach to it; requests are served only
  // once the app is wired and listen() is called.
  const { server, classes } = httpServer(config.tls);
  const alerts = alertWebhook(effective, redis, logger);
  const hub = await Hub.start({ config: effective, store, redis, metrics, log: logger, throttle, alerts }, server);
  const tunables = effective.hub;
  const live = startConsoleLive({ hub, store, adminToken: config.ADMIN_TOKEN, tunables, log: logger });
  // A database restored in place gets its new epoch before any pull is served.
  const highWater = await watchFeedHighWater({ redis, store, logger, tunables });
  const app = createApp({
    store,
    redis,
    adminToken: config.ADMIN_TOKEN,
    policy,
    hub,
    adminEvents: live.events,
    adminNamespace: live.namespace,
    metrics,
    logger,
    tunables,
    throttle,
    alerts,
    protocols: options.protocols,
  });
  const port = await serveApp(server, app, config.PORT, classes);
  let stopping: Promise<void> | undefined;
  return {
    port,
    db,
    store,
    keyCache,
    policy,
    redis,
    server,
    hub,
    metrics,
    logger,
    stop() {
      stopping ??= (async () => {
        server.closeAllConnections();
        live.close();
        highWater.stop();
        await hub.stop(); // closes socket.io and, with it, the HTTP server
        await alerts.close();
        if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
        keyCache.close();
        redis.disconnect();
        await db.close();
      })();
      return stopping;
    },
  };
}
