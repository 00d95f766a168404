import express, { type Express } from "express";
import type { Redis } from "ioredis";
import { DEFAULT_SYNC_POLICY, NotFoundError, type SyncPolicy } from "@tillsync/shared";
import { adminAuth, terminalAuth } from "./auth/bearer";
import type { CentralDb } from "./db/database";
import { errorHandler } from "./http/error-handler";
import type { Hub } from "./hub/hub";
import type { Logger } from "./observability/logger";
import type { HubMetrics } from "./observability/metrics";
import { requestLog } from "./observability/request-log";
import { docsRoutes } from "./openapi/docs-routes";
import { adminRoutes } from "./routes/admin-routes";
import { conflictRoutes } from "./routes/conflict-routes";
import { healthRoutes } from "./routes/health-routes";
import { hubRoutes } from "./routes/hub-routes";
import { syncRoutes } from "./routes/sync-routes";

export interface AppDeps {
  db: CentralDb;
  redis: Redis;
  adminToken: string;
  policy?: SyncPolicy;
  /** The real-time hub; without it (unit tests of routes) hub endpoints are absent. */
  hub?: Hub;
  metrics?: HubMetrics;
  logger?: Logger;
  log?: (msg: string, err: unknown) => void;
}

/** The Express app of SPEC §4, built from its dependencies (tests pass their own). */
export function createApp(deps: AppDeps): Express {
  const policy = deps.policy ?? DEFAULT_SYNC_POLICY;
  const app = express();
  app.disable("x-powered-by");
  if (deps.logger) app.use(requestLog(deps.logger));
  app.use(express.json({ limit: "10mb" }));

  app.use(healthRoutes(deps.db, deps.redis, deps.metrics, deps.hub));
  app.use(docsRoutes());
  if (deps.metrics) app.use("/api/sync/push", deps.metrics.pushObserver());
  app.use("/api/sync", syncRoutes(deps.db, policy, terminalAuth(deps.db)));
  const admin = adminAuth(deps.adminToken);
  app.use("/api", admin, adminRoutes(deps.db, deps.hub));
  app.use("/api", admin, conflictRoutes(deps.db, policy));
  if (deps.hub) app.use("/api", admin, hubRoutes(deps.db, deps.hub, policy));

  app.use((req, _res, next) => next(new NotFoundError(`no route for ${req.method} ${req.path}`)));
  const logger = deps.logger;
  app.use(
    errorHandler(
      deps.log ?? (logger ? (msg, err) => logger.error({ err }, msg) : (msg, err) => console.error(msg, err)),
    ),
  );
  return app;
}
