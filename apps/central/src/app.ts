import express, { type Express } from "express";
import type { Redis } from "ioredis";
import { DEFAULT_SYNC_POLICY, NotFoundError, type SyncPolicy } from "@tillsync/shared";
import { adminAuth, terminalAuth } from "./auth/bearer";
import { HUB_DEFAULTS, type HubTunables } from "./config";
import { errorHandler } from "./http/error-handler";
import type { Hub } from "./hub/hub";
import type { Logger } from "./observability/logger";
import type { HubMetrics } from "./observability/metrics";
import { requestLog } from "./observability/request-log";
import { docsRoutes } from "./openapi/docs-routes";
import { catalogueRoutes } from "./routes/catalogue-routes";
import { conflictRoutes } from "./routes/conflict-routes";
import { healthRoutes } from "./routes/health-routes";
import { hubRoutes } from "./routes/hub-routes";
import { provisioningRoutes } from "./routes/provisioning-routes";
import { syncRoutes } from "./routes/sync-routes";
import type { CentralStore } from "./store/central-store";

export interface AppDeps {
  store: CentralStore;
  redis: Redis;
  adminToken: string;
  policy?: SyncPolicy;
  /** The real-time hub; without it (unit tests of routes) hub endpoints are absent. */
  hub?: Hub;
  metrics?: HubMetrics;
  logger?: Logger;
  log?: (msg: string, err: unknown) => void;
  tunables?: HubTunables;
}

/** The Express app of SPEC §4, built from its dependencies (tests pass their own). */
export function createApp(deps: AppDeps): Express {
  const { store } = deps;
  const policy = deps.policy ?? DEFAULT_SYNC_POLICY;
  const tunables = deps.tunables ?? HUB_DEFAULTS;
  const app = express();
  app.disable("x-powered-by");
  if (deps.logger) app.use(requestLog(deps.logger));
  app.use(express.json({ limit: tunables.bodyLimit }));

  app.use(healthRoutes(store, deps.redis, deps.metrics, deps.hub));
  app.use(docsRoutes());
  if (deps.metrics) app.use("/api/sync/push", deps.metrics.pushObserver());
  app.use("/api/sync", syncRoutes(store, policy, terminalAuth(store.terminals)));
  const admin = adminAuth(deps.adminToken);
  app.use("/api", admin, provisioningRoutes({ store, hub: deps.hub, tunables }));
  app.use("/api", admin, catalogueRoutes(store));
  app.use("/api", admin, conflictRoutes(store, policy));
  if (deps.hub) app.use("/api", admin, hubRoutes(store, deps.hub, policy));

  app.use((req, _res, next) => next(new NotFoundError(`no route for ${req.method} ${req.path}`)));
  const logger = deps.logger;
  app.use(
    errorHandler(
      deps.log ?? (logger ? (msg, err) => logger.error({ err }, msg) : (msg, err) => console.error(msg, err)),
    ),
  );
  return app;
}
