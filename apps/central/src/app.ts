import express, { type Express } from "express";
import type { Redis } from "ioredis";
import { DEFAULT_SYNC_POLICY, NotFoundError, type SyncPolicy } from "@tillsync/shared";
import { adminAuth, terminalAuth } from "./auth/bearer";
import type { CentralDb } from "./db/database";
import { errorHandler } from "./http/error-handler";
import { adminRoutes } from "./routes/admin-routes";
import { conflictRoutes } from "./routes/conflict-routes";
import { healthRoutes } from "./routes/health-routes";
import { syncRoutes } from "./routes/sync-routes";

export interface AppDeps {
  db: CentralDb;
  redis: Redis;
  adminToken: string;
  policy?: SyncPolicy;
  log?: (msg: string, err: unknown) => void;
}

/** The Express app of SPEC §4, built from its dependencies (tests pass their own). */
export function createApp(deps: AppDeps): Express {
  const policy = deps.policy ?? DEFAULT_SYNC_POLICY;
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "10mb" }));

  app.use(healthRoutes(deps.db, deps.redis));
  app.use("/api/sync", syncRoutes(deps.db, policy, terminalAuth(deps.db)));
  const admin = adminAuth(deps.adminToken);
  app.use("/api", admin, adminRoutes(deps.db));
  app.use("/api", admin, conflictRoutes(deps.db, policy));

  app.use((req, _res, next) => next(new NotFoundError(`no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.log ?? ((msg, err) => console.error(msg, err))));
  return app;
}
