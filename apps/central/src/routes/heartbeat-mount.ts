import express, { type RequestHandler, type Router } from "express";
import type { ProtocolRange } from "@tillsync/shared";
import { jsonBodiesOnly } from "../http/json-only";
import { protocolGate } from "../http/protocol-gate";
import { heartbeat, type HeartbeatRouteDeps } from "./heartbeat-route";

/** The path the lean chain serves; also in API_ROUTES, so the route table and docs list it. */
export const HEARTBEAT_PATH = "/api/sync/heartbeat";

export interface HeartbeatMountDeps extends HeartbeatRouteDeps {
  /** The app's body limit: the same JSON parser as the rest of the API (413 over it, 400 malformed). */
  bodyLimit: number | string;
  auth: RequestHandler;
  protocols?: ProtocolRange;
  /** The console learns the terminal's state after each heartbeat answered 200. */
  adminEvents?: { terminalActivity(terminalId: string): void };
}

/**
 * POST /api/sync/heartbeat as its own chain, mounted on the app right after the request log.
 * At 10,000 tills a heartbeat is a third of central's requests, and before it passed every
 * layer the rest of the API needs: the route table's regex scan (knownApiRoutesOnly, which this
 * path is in), the health, docs and dashboard routers, and the sync router's own layers before
 * reaching its handler. The checks are the same, in the same order as on the sync router: JSON
 * only (415), body limit and malformed JSON (413/400), the protocol header (400; an unserved
 * protocol still reports, as the gate exempts this path), authentication by key (401), then the
 * handler (400 for a bad body, 403 for another terminal's id). Errors go to the app's error
 * handler as before; the request log and its x-request-id run before this, as for every request.
 */
function heartbeatChain(deps: HeartbeatMountDeps): RequestHandler[] {
  const activity = deps.adminEvents;
  const onAnswered: RequestHandler = (req, res, next) => {
    if (activity)
      res.on("finish", () => {
        if (res.statusCode === 200 && req.terminal) activity.terminalActivity(req.terminal.id);
      });
    next();
  };
  return [
    jsonBodiesOnly(),
    express.json({ limit: deps.bodyLimit }),
    protocolGate({ range: deps.protocols, exempt: [HEARTBEAT_PATH] }),
    deps.auth,
    onAnswered,
    heartbeat(deps),
  ];
}

/**
 * The chain on its path, matched as the route table matches (knownApiRoutesOnly): case-sensitive,
 * so `/API/SYNC/HEARTBEAT` falls through to the table's 404 as before, not to a heartbeat.
 */
export function heartbeatRouter(deps: HeartbeatMountDeps): Router {
  const router = express.Router({ caseSensitive: true });
  router.post(HEARTBEAT_PATH, heartbeatChain(deps));
  return router;
}
