import { Router, type RequestHandler } from "express";
import { ownOrdersQuerySchema, parseOrThrow } from "@tillsync/shared";
import { route } from "../http/async-route";
import type { OwnOrdersStore } from "../store/own-orders";
import type { SyncControlQueries } from "../store/sync-control";
import { assertSyncAllowed } from "../sync/sync-gate";

/**
 * GET /api/sync/own-orders (terminal key): the terminal's own orders since a time, with lines
 * and payments, for `startup --force` on a replaced till. Only ever the caller's own rows (G8);
 * held like the pull while sync is stopped or the terminal paused.
 */
export function ownOrdersRoutes(deps: {
  store: { ownOrders: OwnOrdersStore; control: Pick<SyncControlQueries, "holdOf"> };
  auth: RequestHandler;
  stoppedRetryAfterS: number;
}): Router {
  const r = Router();
  r.get(
    "/own-orders",
    deps.auth,
    route(async (req, res) => {
      const q = parseOrThrow(ownOrdersQuerySchema, req.query, "own orders query");
      const { id } = req.terminal!;
      assertSyncAllowed(id, await deps.store.control.holdOf(id), deps.stoppedRetryAfterS);
      res.json(await deps.store.ownOrders.page(id, q));
    }),
  );
  return r;
}
