import type { Server } from "node:http";
import { Redis } from "ioredis";
import { resolvePolicy } from "@tillsync/shared";
import { createApp } from "./app";
import { loadCentralConfig, type CentralConfig } from "./config";
import { openCentralDb, type CentralDb } from "./db/database";
import { migrateCentral } from "./db/migrate";

export interface RunningCentral {
  port: number;
  db: CentralDb;
  redis: Redis;
  server: Server;
  stop(): Promise<void>;
}

/** Migrates, then serves. Used by `npm run central`, the demo and the tests. */
export async function startCentral(config: CentralConfig): Promise<RunningCentral> {
  const db = openCentralDb(config.DATABASE_URL);
  await migrateCentral(db.pool);
  const redis = new Redis(config.REDIS_URL, { keyPrefix: `${config.REDIS_PREFIX}:`, maxRetriesPerRequest: 2, lazyConnect: false });
  redis.on("error", () => undefined); // readiness reports it; reconnects are automatic
  const app = createApp({ db, redis, adminToken: config.ADMIN_TOKEN, policy: resolvePolicy(config.SYNC_POLICY_OVERRIDES) });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(config.PORT, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  return {
    port,
    db,
    redis,
    server,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
      await db.close();
    },
  };
}

if (require.main === module) {
  let config: CentralConfig;
  try {
    config = loadCentralConfig();
  } catch (err) {
    console.error(`tillsync-central: ${(err as Error).message}`);
    process.exit(2);
  }
  startCentral(config).then(
    (c) => {
      console.log(`tillsync central listening on :${c.port}`);
      const shutdown = () => void c.stop().then(() => process.exit(0));
      process.once("SIGTERM", shutdown);
      process.once("SIGINT", shutdown);
    },
    (err: Error) => {
      console.error(`tillsync-central: failed to start: ${err.message}`);
      process.exit(1);
    },
  );
}
