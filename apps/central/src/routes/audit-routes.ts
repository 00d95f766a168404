import { Router } from "express";
import { auditQuerySchema, parseOrThrow } from "@tillsync/shared";
import { route } from "../http/async-route";
import type { AuditLog } from "../store/audit-log";

/** GET /api/audit: the audit log, newest first, paged and filtered (viewer). */
export function auditRoutes(store: { audit: Pick<AuditLog, "page"> }): Router {
  const r = Router();
  r.get(
    "/audit",
    route(async (req, res) => {
      const q = parseOrThrow(auditQuerySchema, req.query, "audit query");
      res.json(await store.audit.page(q));
    }),
  );
  return r;
}
