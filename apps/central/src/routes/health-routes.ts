import { Router } from "express";
import type { Redis } from "ioredis";
import type { CentralDb } from "../db/database";
import { route } from "../http/async-route";

export function healthRoutes(db: CentralDb, redis: Redis): Router {
  const r = Router();
  r.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  r.get(
    "/ready",
    route(async (_req, res) => {
      const [pg, rd] = await Promise.allSettled([db.pool.query("SELECT 1"), redis.ping()]);
      const checks = {
        postgres: pg.status === "fulfilled" ? "ok" : `failing: ${(pg.reason as Error).message}`,
        redis: rd.status === "fulfilled" ? "ok" : `failing: ${(rd.reason as Error).message}`,
      };
      const ready = pg.status === "fulfilled" && rd.status === "fulfilled";
      res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", checks });
    }),
  );
  return r;
}
