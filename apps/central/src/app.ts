import express, { Router, type Express } from "express";
import type { Redis } from "ioredis";
import { DEFAULT_SYNC_POLICY, NotFoundError, type ProtocolRange, type SyncPolicy } from "@tillsync/shared";
import type { AdminEvents } from "./admin/admin-events";
import type { AdminNamespace } from "./admin/admin-namespace";
import type { AlertSink } from "./alerts/alert-sink";
import { actionGuard } from "./auth/action-guard";
import type { AuthThrottle } from "./auth/auth-throttle";
import { terminalAuth } from "./auth/bearer";
import { FailedAttemptLimiter } from "./auth/failed-attempts";
import { OperatorAuthenticator, operatorAuth } from "./auth/operator-auth";
import { HUB_DEFAULTS, type HubTunables } from "./config";
import { errorHandler } from "./http/error-handler";
import { jsonBodiesOnly } from "./http/json-only";
import { knownApiRoutesOnly } from "./http/known-routes";
import { terminalRefRewrite } from "./http/terminal-ref";
import type { Hub } from "./hub/hub";
import type { Logger } from "./observability/logger";
import type { HubMetrics } from "./observability/metrics";
import { requestLog } from "./observability/request-log";
import { API_ROUTES } from "./openapi/api-routes";
import { docsRoutes } from "./openapi/docs-routes";
import { auditRoutes } from "./routes/audit-routes";
import { catalogueRoutes } from "./routes/catalogue-routes";
import { stockRoutes } from "./routes/stock-routes";
import { conflictRoutes } from "./routes/conflict-routes";
import { dashboardRoutes, type DashboardDeps } from "./routes/dashboard-routes";
import { healthRoutes } from "./routes/health-routes";
import { heartbeatRouter } from "./routes/heartbeat-mount";
import { hubRoutes } from "./routes/hub-routes";
import { operatorRoutes } from "./routes/operator-routes";
import { provisioningRoutes } from "./routes/provisioning-routes";
import { sessionRoutes } from "./routes/session-routes";
import { servePull, syncRoutes, type SyncRouteDeps } from "./routes/sync-routes";
import { FeedHighWater } from "./feed/feed-high-water";
import { ownOrdersRoutes } from "./routes/own-orders-routes";
import { snapshotRoutes } from "./routes/snapshot-routes";
import { terminalPauseRoutes } from "./routes/terminal-pause-routes";
import { terminalRoutes } from "./routes/terminal-routes";
import type { CentralStore } from "./store/central-store";

export interface AppDeps {
  store: CentralStore;
  redis: Redis;
  adminToken: string;
  policy?: SyncPolicy;
  /** The real-time hub; without it (unit tests of routes) hub endpoints are absent. */
  hub?: Hub;
  /** What the console hears on /admin; without it nothing is announced. */
  adminEvents?: AdminEvents;
  adminNamespace?: AdminNamespace;
  metrics?: HubMetrics;
  logger?: Logger;
  log?: (msg: string, err: unknown) => void;
  tunables?: HubTunables;
  /** Where the console's built files are (tests point it at a missing folder). */
  consoleAssets?: DashboardDeps["assets"];
  /** Slows down repeated failed authentication from one address (429 after a burst). */
  throttle?: AuthThrottle;
  /** Where terminal alerts go (back online, circuit open, conflicts waiting). */
  alerts?: AlertSink;
  /** The protocols /api/sync serves (default: this build's, CENTRAL_PROTOCOLS). */
  protocols?: ProtocolRange;
}

/** The Express app of SPEC §4, built from its dependencies (tests pass their own). */
export function createApp(deps: AppDeps): Express {
  const { store } = deps;
  const policy = deps.policy ?? DEFAULT_SYNC_POLICY;
  const tunables = deps.tunables ?? HUB_DEFAULTS;
  const logger = deps.logger;
  const log = deps.log ?? (logger ? (msg, err) => logger.error({ err }, msg) : (msg, err) => console.error(msg, err));
  const authn = new OperatorAuthenticator({
    adminToken: deps.adminToken,
    operators: store.operators,
    sessions: store.sessions,
  });
  const limiter = new FailedAttemptLimiter(deps.redis, tunables.failedSignIns);
  const app = express();
  app.disable("x-powered-by");
  if (logger) app.use(requestLog(logger));
  const auth = terminalAuth(store.terminals, deps.throttle);
  app.use(heartbeatRouter({ ...deps, bodyLimit: tunables.bodyLimit, auth }));
  app.use("/api", knownApiRoutesOnly(API_ROUTES));
  app.use("/api", jsonBodiesOnly());
  app.use(express.json({ limit: tunables.bodyLimit }));

  app.use(healthRoutes(store, deps.redis, deps.metrics, deps.hub));
  app.use(docsRoutes());
  app.use(dashboardRoutes({ authn, queues: deps.hub?.boardQueues(), assets: deps.consoleAssets }));
  if (deps.metrics) app.use(["/api/sync/push", "/api/sync/upload"], deps.metrics.pushObserver());
  const highWater = new FeedHighWater({
    redis: deps.redis,
    identity: store.feedIdentity,
    feed: store.feed,
    timeoutMs: tunables.feedHighWaterTimeoutMs,
  });
  // What every terminal endpoint shares. onServed remembers the cursors pulls and snapshots give
  // out, so a database restored in place is noticed.
  const terminalSide = {
    store,
    policy,
    auth,
    logger,
    stoppedRetryAfterS: tunables.stoppedRetryAfterS,
    onServed: (epoch: string, cursor: string) => highWater.served(epoch, cursor),
  };
  const syncDeps: SyncRouteDeps = {
    ...terminalSide,
    activity: deps.adminEvents,
    metrics: deps.metrics,
    alerts: deps.alerts,
    conflictAlertEveryMs: tunables.conflictAlertEveryMs,
    protocols: deps.protocols,
    feedPages: deps.hub?.feedPages,
  };
  // One pull for both ways in: GET /api/sync/pull and the hub's `sync:pull`.
  const serve = servePull(syncDeps);
  deps.hub?.pulls.offer(serve);
  app.use("/api/sync", syncRoutes({ ...syncDeps, serve }));
  app.use("/api/sync", ownOrdersRoutes(terminalSide), snapshotRoutes(terminalSide));
  app.use(
    "/api",
    sessionRoutes({ authn, limiter, store, onSignedOut: (hash) => deps.adminNamespace?.disconnectSession(hash) }),
  );
  app.use("/api", operatorRouter(deps, { authn, limiter, policy, tunables, log }));

  app.use((req, _res, next) => next(new NotFoundError(`no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(log));
  return app;
}

/** Every operator endpoint: one authentication, one role check and audit, then the routes. */
function operatorRouter(
  deps: AppDeps,
  ctx: {
    authn: OperatorAuthenticator;
    limiter: FailedAttemptLimiter;
    policy: SyncPolicy;
    tunables: HubTunables;
    log: (msg: string, err: unknown) => void;
  },
): Router {
  const { store, hub } = deps;
  const r = Router();
  r.use(operatorAuth(ctx.authn, ctx.limiter));
  r.use(terminalRefRewrite(store.terminals));
  r.use(actionGuard({ audit: store.audit, log: ctx.log, afterAction: (done) => deps.adminEvents?.afterAction(done) }));
  r.use(provisioningRoutes({ store, hub }));
  r.use(terminalRoutes({ store, hub, tunables: ctx.tunables }));
  r.use(terminalPauseRoutes({ store, hub }));
  r.use(catalogueRoutes(store));
  r.use(stockRoutes(store));
  r.use(conflictRoutes(store, ctx.policy));
  r.use(operatorRoutes({ store, onRevoked: (id) => deps.adminNamespace?.disconnectOperator(id) }));
  r.use(auditRoutes(store));
  if (hub) r.use(hubRoutes(store, hub, ctx.policy, ctx.tunables));
  return r;
}
