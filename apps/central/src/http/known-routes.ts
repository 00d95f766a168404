import type { RequestHandler } from "express";
import { NotFoundError } from "@tillsync/shared";
import type { ApiRoute } from "../openapi/api-routes";

/**
 * Answers 404 for a path under /api that no route serves, before any authentication: an unknown
 * route is unknown whatever the token (a 401 for it would tell a scanner nothing true, and a
 * typo in a script would read as a bad key). The routes come from the table the OpenAPI
 * document is built from, which a test holds equal to what Express serves.
 */
export function knownApiRoutesOnly(routes: readonly ApiRoute[]): RequestHandler {
  const compiled = routes
    .filter((r) => r.path.startsWith("/api/"))
    .map((r) => ({
      method: r.method.toUpperCase(),
      pattern: new RegExp(`^${r.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, "[^/]+")}/?$`),
    }));
  return (req, _res, next) => {
    const method = req.method === "HEAD" ? "GET" : req.method;
    const path = req.originalUrl.split("?")[0]!;
    if (compiled.some((r) => r.method === method && r.pattern.test(path))) return next();
    next(new NotFoundError(`no route for ${req.method} ${path}; GET /api-docs lists them`));
  };
}
