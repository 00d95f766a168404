import type { ApiRoute } from "./api-routes";

/**
 * The names the sync guides tillsync replaces use (SPEC §4), served beside the core routes
 * and documented as aliases: each behaves exactly as the route it names.
 */
export const COMPATIBILITY_ALIASES: ReadonlyArray<{ method: ApiRoute["method"]; path: string; of: string }> = [
  { method: "post", path: "/api/sync/upload", of: "/api/sync/push" },
  { method: "get", path: "/api/sync/download", of: "/api/sync/pull" },
  { method: "get", path: "/api/v1/health", of: "/health" },
  { method: "get", path: "/api/background/sync/schedule", of: "/api/sync/schedules" },
  { method: "post", path: "/api/background/sync/schedule", of: "/api/sync/schedules" },
];

/** The slave-to-prod guide's call: a run of every terminal (or the body's one), answered once it completed. */
export const SLAVE_TO_PROD_ROUTE: ApiRoute = {
  method: "post",
  path: "/api/background/sync/slave-to-prod",
  auth: "operator",
  tag: "hub",
  summary:
    "Alias of POST /api/sync/all (every terminal, or {terminalId}) followed by GET /api/sync/runs/:id?wait=N: answers the run once it completed (?wait= seconds, default 30; 202 while still running)",
  query: "SyncRunQuery",
  response: { status: 200, schema: "SyncRunResponse" },
};

/** The alias routes, copied from the core routes they name. */
export function compatibilityRoutes(core: readonly ApiRoute[]): ApiRoute[] {
  const aliases = COMPATIBILITY_ALIASES.map((a) => {
    const target = core.find((r) => r.method === a.method && r.path === a.of);
    if (!target) throw new Error(`alias ${a.path} names ${a.method.toUpperCase()} ${a.of}, which is not a route`);
    return { ...target, path: a.path, summary: `Alias of ${a.method.toUpperCase()} ${a.of}: ${target.summary}` };
  });
  return [...aliases, SLAVE_TO_PROD_ROUTE];
}
