import { Router } from "express";
import { z } from "zod";
import { parseOrThrow, terminalReasonRequestSchema, uuidSchema } from "@tillsync/shared";
import { route } from "../http/async-route";
import type { Hub } from "../hub/hub";
import type { SyncControlAdmin } from "../store/sync-control";
import { actor } from "./hub-routes";

const idParam = z.object({ id: uuidSchema });

/**
 * An operator's pause of one terminal (docs/control-center-api.md): stored in PostgreSQL, so
 * its push and pull answer 423 SYNC_STOPPED on every instance until resumed; its sockets
 * hear sync:pause / sync:resume at once. Mounted behind admin authentication.
 */
export function terminalPauseRoutes(deps: {
  store: { control: Pick<SyncControlAdmin, "pauseTerminal" | "resumeTerminal"> };
  hub?: Pick<Hub, "terminalPaused">;
}): Router {
  const r = Router();
  r.post(
    "/terminals/:id/pause",
    route(async (req, res) => {
      const { id } = parseOrThrow(idParam, req.params, "terminal id");
      const body = parseOrThrow(terminalReasonRequestSchema, req.body ?? {}, "pause request");
      const who = actor(req);
      const out = await deps.store.control.pauseTerminal(id, body.reason ?? null, who);
      await deps.hub?.terminalPaused(id, {
        reason: body.reason ?? null,
        since: new Date().toISOString(),
        by: who.name,
      });
      res.json({ terminalId: id, status: out.status, paused: true });
    }),
  );
  r.post(
    "/terminals/:id/resume",
    route(async (req, res) => {
      const { id } = parseOrThrow(idParam, req.params, "terminal id");
      parseOrThrow(z.object({}).strict(), req.body ?? {}, "resume request");
      const out = await deps.store.control.resumeTerminal(id);
      await deps.hub?.terminalPaused(id, null);
      res.json({ terminalId: id, status: out.status, paused: false });
    }),
  );
  return r;
}
