import { Router, type Request } from "express";
import {
  emergencyStopRequestSchema,
  NotFoundError,
  parseOrThrow,
  scheduleRequestSchema,
  StateConflictError,
  syncAllRequestSchema,
  syncStatusQuerySchema,
  type SyncPolicy,
} from "@tillsync/shared";
import { OWNER_NAME } from "../auth/operator-auth";
import type { Hub } from "../hub/hub";
import { syncStatus, type SyncStatusStore } from "../hub/sync-status";
import { route } from "../http/async-route";
import type { Actor } from "../store/sync-control";
import type { TerminalQueries } from "../store/terminals";

export type HubRouteStore = SyncStatusStore & { terminals: Pick<TerminalQueries, "statusOf"> };

/** Who acts: the operator authentication put on the request (ADMIN_TOKEN's is the owner). */
export function actor(req: Request): Actor {
  return { name: req.operator?.name ?? OWNER_NAME };
}

export function hubRoutes(store: HubRouteStore, hub: Hub, policy: SyncPolicy): Router {
  const r = Router();

  r.post(
    "/sync/all",
    route(async (req, res) => {
      const body = parseOrThrow(syncAllRequestSchema, req.body, "sync-all request");
      let triggered: string[];
      if (body.terminalId) {
        const status = await store.terminals.statusOf(body.terminalId);
        if (!status) throw new NotFoundError(`terminal ${body.terminalId} does not exist`);
        if (status === "DISABLED") throw new StateConflictError(`terminal ${body.terminalId} is disabled`);
        await hub.triggerTerminals([body.terminalId], "FULL", "MANUAL");
        triggered = [body.terminalId];
      } else {
        triggered = await hub.triggerActive("FULL", "MANUAL");
      }
      res.status(202).json({ triggered, type: "FULL", reason: "MANUAL" });
    }),
  );

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
    "/sync/schedules",
    route(async (_req, res) => {
      res.json({ schedules: await hub.schedules.list() });
    }),
  );

  r.post(
    "/sync/schedules",
    route(async (req, res) => {
      const body = parseOrThrow(scheduleRequestSchema, req.body, "schedule request");
      const out = await hub.schedules.apply(body);
      res.status(body.action === "create" ? 201 : 200).json({ action: body.action, ...out });
    }),
  );

  return r;
}
