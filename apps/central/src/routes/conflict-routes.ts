import { Router } from "express";
import { z } from "zod";
import { parseOrThrow } from "@tillsync/shared";
import type { CentralDb } from "../db/database";
import { route } from "../http/async-route";

/** The conflict log (admin): GET /api/conflicts?status=PENDING|RESOLVED. */
export function conflictRoutes(db: CentralDb): Router {
  const r = Router();
  r.get(
    "/conflicts",
    route(async (req, res) => {
      const q = parseOrThrow(z.object({ status: z.enum(["PENDING", "RESOLVED"]).optional() }), req.query, "conflicts query");
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
