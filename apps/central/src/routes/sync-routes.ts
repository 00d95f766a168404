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
import type { CentralDb } from "../db/database";
import { readFeed } from "../feed/read-feed";
import { route } from "../http/async-route";
import { applyPush } from "../sync/push-apply";

/** A terminal acts only as itself (G8): the body's terminalId must be the key's terminal. */
function assertSelf(terminal: AuthedTerminal, claimed: string): void {
  if (claimed !== terminal.id) {
    throw new ForbiddenError(`this key belongs to terminal ${terminal.id}, not ${claimed}`);
  }
}

/** Terminal endpoints under /api/sync; `auth` is terminalAuth. */
export function syncRoutes(db: CentralDb, policy: SyncPolicy, auth: RequestHandler): Router {
  const r = Router();

  r.post(
    "/push",
    auth,
    route(async (req, res) => {
      const body = parseOrThrow(pushRequestSchema, req.body, "push request");
      assertSelf(req.terminal!, body.terminalId);
      const results = await applyPush(db, policy, req.terminal!, body.changes);
      res.json({ results });
    }),
  );

  r.get(
    "/pull",
    auth,
    route(async (req, res) => {
      const q = parseOrThrow(pullQuerySchema, req.query, "pull query");
      res.json(
        await readFeed(db, {
          storeId: req.terminal!.storeId,
          since: q.since,
          limit: q.limit,
          entityType: q.entityType,
          policy,
        }),
      );
    }),
  );

  r.post(
    "/acknowledge",
    auth,
    route(async (req, res) => {
      const body = parseOrThrow(acknowledgeRequestSchema, req.body, "acknowledge request");
      assertSelf(req.terminal!, body.terminalId);
      // GREATEST: a late, reordered acknowledge must not move the recorded cursor backwards.
      await db.pool.query(
        `UPDATE terminals SET acked_cursor = GREATEST(acked_cursor, $2::bigint), last_seen_at = now() WHERE id = $1`,
        [body.terminalId, body.cursor],
      );
      res.json({ ok: true });
    }),
  );

  r.post(
    "/heartbeat",
    auth,
    route(async (req, res) => {
      const body = parseOrThrow(heartbeatRequestSchema, req.body, "heartbeat");
      assertSelf(req.terminal!, body.terminalId);
      await db.pool.query(
        `UPDATE terminals SET last_seen_at = now(), last_heartbeat = $2::jsonb,
                status = CASE WHEN status = 'DISABLED' THEN status ELSE 'ONLINE'::terminal_status END
          WHERE id = $1`,
        [body.terminalId, JSON.stringify({ status: body.status, outbox: body.outbox, at: new Date().toISOString() })],
      );
      res.json({ ok: true });
    }),
  );

  return r;
}
