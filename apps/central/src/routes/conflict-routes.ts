import { Router } from "express";
import { z } from "zod";
import { parseOrThrow, resolveConflictRequestSchema, type SyncPolicy } from "@tillsync/shared";
import type { CentralDb } from "../db/database";
import { route } from "../http/async-route";
import { resolveConflict } from "../sync/conflict-resolve";

/** The conflict log and its resolution (admin). */
export function conflictRoutes(db: CentralDb, policy: SyncPolicy): Router {
  const r = Router();
  r.post(
    "/sync/resolve",
    route(async (req, res) => {
      const body = parseOrThrow(resolveConflictRequestSchema, req.body, "resolve request");
      res.json({ conflict: await resolveConflict(db, policy, body) });
    }),
  );
  r.get(
    "/conflicts",
    route(async (req, res) => {
      const q = parseOrThrow(
        z.object({ status: z.enum(["PENDING", "RESOLVED"]).optional() }),
        req.query,
        "conflicts query",
      );
      const conflicts = await db.prisma.conflict.findMany({
        where: q.status ? { status: q.status } : {},
        orderBy: { createdAt: "desc" },
        take: 500,
      });
      res.json({ conflicts });
    }),
  );
  return r;
}
