import { Router, type Request } from "express";
import {
  emergencyStopRequestSchema,
  parseOrThrow,
  scheduleRequestSchema,
  syncStatusQuerySchema,
  type SyncPolicy,
} from "@tillsync/shared";
import { OWNER_NAME } from "../auth/operator-auth";
import type { HubTunables } from "../config";
import type { Hub } from "../hub/hub";
import { syncStatus, type SyncStatusStore } from "../hub/sync-status";
import { route } from "../http/async-route";
import { runRoutes, type RunRouteStore } from "./run-routes";
import type { Actor } from "../store/sync-control";

export type HubRouteStore = SyncStatusStore & RunRouteStore;

/** Who acts: the operator authentication put on the request (ADMIN_TOKEN's is the owner). */
export function actor(req: Request): Actor {
  return { name: req.operator?.name ?? OWNER_NAME };
}

export function hubRoutes(store: HubRouteStore, hub: Hub, policy: SyncPolicy, tunables: HubTunables): Router {
  const r = Router();
  r.use(runRoutes(store, hub, tunables));

  r.get(
    "/sync/status",
    route(async (req, res) => {
      const q = parseOrThrow(syncStatusQuerySchema, req.query, "status query");
      res.json(await syncStatus(store, policy, q.terminalId));
    }),
  );

  r.post(
    "/sync/emergency-stop",
    route(async (req, res) => {
      const body = parseOrThrow(emergencyStopRequestSchema, req.body ?? {}, "emergency-stop request");
      res.json(await hub.emergencyStop(body.reason, actor(req)));
    }),
  );

  r.post(
    "/sync/resume",
    route(async (req, res) => {
      res.json(await hub.resume(actor(req)));
    }),
  );

  r.get(
    ["/sync/schedules", "/background/sync/schedule"], // the second: the sync guides' name
    route(async (_req, res) => {
      res.json({ schedules: await hub.schedules.list() });
    }),
  );

  r.post(
    ["/sync/schedules", "/background/sync/schedule"], // the second: the sync guides' name
    route(async (req, res) => {
      const body = parseOrThrow(scheduleRequestSchema, req.body, "schedule request");
      const out = await hub.schedules.apply(body, actor(req).name);
      res.status(body.action === "create" ? 201 : 200).json({ action: body.action, ...out });
    }),
  );

  return r;
}
