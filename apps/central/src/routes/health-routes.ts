import { Router } from "express";
import type { Redis } from "ioredis";
import { OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION, type HealthResponse } from "@tillsync/shared";
import { route } from "../http/async-route";
import type { Hub } from "../hub/hub";
import type { HubMetrics } from "../observability/metrics";
import type { CentralStore } from "../store/central-store";

export function healthRoutes(store: Pick<CentralStore, "ping">, redis: Redis, metrics?: HubMetrics, hub?: Hub): Router {
  const r = Router();
  // /api/v1/health: the sync guides' name for it (openapi/alias-routes.ts).
  r.get(["/health", "/api/v1/health"], (_req, res) => {
    // The protocol version and the clock are for the agent's `test-connection`.
    const body: HealthResponse = {
      status: "ok",
      protocolVersion: PROTOCOL_VERSION,
      oldestProtocolVersion: OLDEST_PROTOCOL_VERSION,
      time: new Date().toISOString(),
    };
    res.json(body);
  });
  r.get(
    "/ready",
    route(async (_req, res) => {
      const [pg, rd] = await Promise.allSettled([store.ping(), redis.ping()]);
      const checks = {
        postgres: pg.status === "fulfilled" ? "ok" : `failing: ${(pg.reason as Error).message}`,
        redis: rd.status === "fulfilled" ? "ok" : `failing: ${(rd.reason as Error).message}`,
      };
      const ready = pg.status === "fulfilled" && rd.status === "fulfilled";
      res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", checks });
    }),
  );
  r.get(
    "/metrics",
    route(async (_req, res) => {
      if (!metrics) {
        res.status(404).type("text/plain").send("metrics are not enabled on this app\n");
        return;
      }
      // Queue depths are read at scrape time: they live in Redis, shared by the cluster.
      const counts = await hub?.queueCounts().catch(() => undefined);
      for (const [queue, states] of Object.entries(counts ?? {})) {
        for (const [state, n] of Object.entries(states)) metrics.queueDepth.set({ queue, state }, n);
      }
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    }),
  );
  return r;
}
