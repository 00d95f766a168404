import { Router } from "express";
import { z } from "zod";
import {
  conflictQuerySchema,
  NotFoundError,
  parseOrThrow,
  resolveConflictRequestSchema,
  uuidSchema,
  type SyncPolicy,
} from "@tillsync/shared";
import { route } from "../http/async-route";
import type { ConflictLog } from "../store/conflicts";
import { resolveConflict, type ResolutionStore } from "../sync/operator-resolution";

const idParam = z.object({ id: uuidSchema });

/** The conflict log (viewer) and its resolution (operator; the action guard checks roles). */
export function conflictRoutes(
  store: ResolutionStore & { conflicts: Pick<ConflictLog, "page" | "get"> },
  policy: SyncPolicy,
): Router {
  const r = Router();
  r.post(
    "/sync/resolve",
    route(async (req, res) => {
      const body = parseOrThrow(resolveConflictRequestSchema, req.body, "resolve request");
      const by = { name: req.operator?.name ?? "owner", reason: body.reason ?? null };
      res.json({ conflict: await resolveConflict(store, policy, body, by) });
    }),
  );
  r.get(
    "/conflicts",
    route(async (req, res) => {
      const q = parseOrThrow(conflictQuerySchema, req.query, "conflicts query");
      res.json(await store.conflicts.page(q));
    }),
  );
  r.get(
    "/conflicts/:id",
    route(async (req, res) => {
      const { id } = parseOrThrow(idParam, req.params, "conflict id");
      const conflict = await store.conflicts.get(id);
      if (!conflict) throw new NotFoundError(`conflict ${id} does not exist`);
      res.json({ conflict });
    }),
  );
  return r;
}
