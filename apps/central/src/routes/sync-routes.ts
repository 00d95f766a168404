import { Router, type RequestHandler } from "express";
import {
  acknowledgeRequestSchema,
  ForbiddenError,
  heartbeatRequestSchema,
  parseOrThrow,
  pullQuerySchema,
  pushRequestSchema,
  type SyncPolicy,
} from "@tillsync/shared";
import type { AuthedTerminal } from "../auth/bearer";
import { readFeed, type PullStore } from "../feed/read-feed";
import { route } from "../http/async-route";
import type { TerminalQueries } from "../store/terminals";
import { applyPush, type PushStore } from "../sync/push-apply";

/** What the terminal endpoints need from the store. */
export type SyncRouteStore = PushStore &
  PullStore & { terminals: Pick<TerminalQueries, "acknowledge" | "recordHeartbeat"> };

/** A terminal acts only as itself (G8): the body's terminalId must be the key's terminal. */
function assertSelf(terminal: AuthedTerminal, claimed: string): void {
  if (claimed !== terminal.id) {
    throw new ForbiddenError(`this key belongs to terminal ${terminal.id}, not ${claimed}`);
  }
}

/** What the console hears about terminal traffic (AdminEvents). */
export interface SyncActivity {
  terminalActivity(terminalId: string): void;
  conflictsCreated(conflictIds: string[]): void;
}

/** Terminal endpoints under /api/sync; `auth` is terminalAuth. */
export function syncRoutes(
  store: SyncRouteStore,
  policy: SyncPolicy,
  auth: RequestHandler,
  activity?: SyncActivity,
): Router {
  const r = Router();
  // After each exchange answered 200, the console learns the terminal's new state.
  r.use((req, res, next) => {
    res.on("finish", () => {
      if (res.statusCode === 200 && req.terminal) activity?.terminalActivity(req.terminal.id);
    });
    next();
  });

  r.post(
    "/push",
    auth,
    route(async (req, res) => {
      const body = parseOrThrow(pushRequestSchema, req.body, "push request");
      assertSelf(req.terminal!, body.terminalId);
      const results = await applyPush(store, policy, req.terminal!, body.changes);
      res.json({ results });
      activity?.conflictsCreated(results.flatMap((x) => (x.status === "CONFLICT" ? [x.conflictId] : [])));
    }),
  );

  r.get(
    "/pull",
    auth,
    route(async (req, res) => {
      const q = parseOrThrow(pullQuerySchema, req.query, "pull query");
      const { storeId } = req.terminal!;
      res.json(await readFeed(store, { storeId, since: q.since, limit: q.limit, entityType: q.entityType, policy }));
    }),
  );

  r.post(
    "/acknowledge",
    auth,
    route(async (req, res) => {
      const body = parseOrThrow(acknowledgeRequestSchema, req.body, "acknowledge request");
      assertSelf(req.terminal!, body.terminalId);
      await store.terminals.acknowledge(body.terminalId, body.cursor);
      res.json({ ok: true });
    }),
  );

  r.post(
    "/heartbeat",
    auth,
    route(async (req, res) => {
      const body = parseOrThrow(heartbeatRequestSchema, req.body, "heartbeat");
      assertSelf(req.terminal!, body.terminalId);
      const at = new Date().toISOString();
      const { status, outbox, lastError, failedChanges } = body;
      await store.terminals.recordHeartbeat(body.terminalId, { status, outbox, lastError, failedChanges, at });
      res.json({ ok: true });
    }),
  );

  return r;
}
