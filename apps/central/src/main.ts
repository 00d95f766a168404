import { createServer, type Server } from "node:http";
import { Redis } from "ioredis";
import { resolvePolicy } from "@tillsync/shared";
import { createApp } from "./app";
import type { CentralConfig } from "./config";
import { openCentralDb, type CentralDb } from "./db/database";
import { migrateCentral } from "./db/migrate";
import { Hub, type HubOptions } from "./hub/hub";
import { createLogger, type Logger } from "./observability/logger";
import { HubMetrics } from "./observability/metrics";

export interface RunningCentral {
  port: number;
  db: CentralDb;
  redis: Redis;
  server: Server;
  hub: Hub;
  metrics: HubMetrics;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Hub tunables (tests shorten the OFFLINE sweep, the ack timeout...). */
  hub?: Partial<HubOptions>;
}

/** Migrates, then serves HTTP and socket.io on one port. Used by `npm run central`, the demo and the tests. */
export async function startCentral(config: CentralConfig, options: StartOptions = {}): Promise<RunningCentral> {
  const logger = createLogger(config.LOG_LEVEL);
  const db = openCentralDb(config.DATABASE_URL);
  await migrateCentral(db.pool);
  const redis = new Redis(config.REDIS_URL, {
    keyPrefix: `${config.REDIS_PREFIX}:`,
    maxRetriesPerRequest: 2,
    lazyConnect: false,
  });
  redis.on("error", () => undefined); // readiness reports it; reconnects are automatic
  const metrics = new HubMetrics();
  // The server exists before the app so socket.io can attach to it; requests are served only
  // once the app is wired and listen() is called.
  const server = createServer();
  const hub = await Hub.start({ config, db, redis, metrics, log: logger, options: options.hub }, server);
  const app = createApp({
    db,
    redis,
    adminToken: config.ADMIN_TOKEN,
    policy: resolvePolicy(config.SYNC_POLICY_OVERRIDES),
    hub,
    metrics,
    logger,
  });
  server.on("request", app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.PORT, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  let stopping: Promise<void> | undefined;
  return {
    port,
    db,
    redis,
    server,
    hub,
    metrics,
    logger,
    stop() {
      stopping ??= (async () => {
        server.closeAllConnections();
        await hub.stop(); // closes socket.io and, with it, the HTTP server
        if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
        redis.disconnect();
        await db.close();
      })();
      return stopping;
    },
  };
}
