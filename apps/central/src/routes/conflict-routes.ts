import { Router } from "express";
import { z } from "zod";
import { CONFLICT_STATUSES, parseOrThrow, resolveConflictRequestSchema, type SyncPolicy } from "@tillsync/shared";
import { route } from "../http/async-route";
import type { ConflictLog } from "../store/conflicts";
import { resolveConflict, type ResolutionStore } from "../sync/operator-resolution";

const conflictsQuerySchema = z.object({ status: z.enum(CONFLICT_STATUSES).optional() });

/** The conflict log and its resolution (admin). */
export function conflictRoutes(store: ResolutionStore & { conflicts: ConflictLog }, policy: SyncPolicy): Router {
  const r = Router();
  r.post(
    "/sync/resolve",
    route(async (req, res) => {
      const body = parseOrThrow(resolveConflictRequestSchema, req.body, "resolve request");
      res.json({ conflict: await resolveConflict(store, policy, body) });
    }),
  );
  r.get(
    "/conflicts",
    route(async (req, res) => {
      const q = parseOrThrow(conflictsQuerySchema, req.query, "conflicts query");
      res.json({ conflicts: await store.conflicts.list(q.status) });
    }),
  );
  return r;
}
