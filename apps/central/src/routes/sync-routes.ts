import { Router, type Request, type RequestHandler, type Response } from "express";
import {
  acknowledgeRequestSchema,
  ForbiddenError,
  parseOrThrow,
  policyForProtocol,
  PROTOCOL_VERSION,
  pullQuerySchema,
  pushRequestSchema,
  fastPushRequest,
  SyncStoppedError,
  ValidationError,
  rowForProtocol,
  type ProtocolRange,
  type PushChange,
  type PullQuery,
  type PullResponse,
  type PushResult,
  type SyncPolicy,
} from "@tillsync/shared";
import type { AlertSink } from "../alerts/alert-sink";
import type { AuthedTerminal } from "../auth/bearer";
import type { FeedPageCache } from "../feed/feed-page-cache";
import { readFeed, refusedAcknowledge, type PullStore } from "../feed/read-feed";
import { route } from "../http/async-route";
import { protocolGate } from "../http/protocol-gate";
import type { Logger } from "../observability/logger";
import type { HubMetrics } from "../observability/metrics";
import type { PullStartQueries } from "../store/pull-start";
import type { SyncControlQueries } from "../store/sync-control";
import type { SyncRunStore } from "../store/sync-runs";
import type { TerminalQueries } from "../store/terminals";
import { applyPush, type PushStore } from "../sync/push-apply";
import type { Refusal } from "../sync/push-ownership";
import { assertSyncAllowed } from "../sync/sync-gate";

/** What the terminal endpoints need from the store. */
export type SyncRouteStore = PushStore &
  PullStore & {
    terminals: Pick<TerminalQueries, "acknowledge" | "recordHeartbeat">;
    control: Pick<SyncControlQueries, "holdOf">;
    /** A pull's hold, feed identity and sequencer check in one statement. */
    pullStart: PullStartQueries;
    runs: Pick<SyncRunStore, "addRecords">;
  };

export interface SyncRouteDeps {
  store: SyncRouteStore;
  policy: SyncPolicy;
  /** terminalAuth. */
  auth: RequestHandler;
  /** Retry-After of a 423 (HUB_DEFAULTS.stoppedRetryAfterS). */
  stoppedRetryAfterS: number;
  /** What the console hears about terminal traffic (AdminEvents). */
  activity?: SyncActivity;
  logger?: Logger;
  metrics?: HubMetrics;
  /** Terminal back online, circuit open, conflicts waiting for an operator. */
  alerts?: AlertSink;
  /** At most one CONFLICTS_WAITING alert per terminal this often. */
  conflictAlertEveryMs?: number;
  /** Told the cursor (and epoch) each pull answered with (FeedHighWater.served). */
  onServed?: (epoch: string, cursor: string) => void;
  /** The protocols served (default: this build's). */
  protocols?: ProtocolRange;
  /** Pages answered once for many terminals while the feed has not moved (the hub's). */
  feedPages?: FeedPageCache;
  /** The pull itself (servePull of these deps), when the app shares it with the hub's `sync:pull`. */
  serve?: ServePull;
}

/** What the console hears about terminal traffic (AdminEvents). */
export interface SyncActivity {
  terminalActivity(terminalId: string): void;
  conflictsCreated(conflictIds: string[]): void;
}

/** The policy as the request's agent knows it: its protocol's columns only (protocol-columns.ts). */
function policyOf(deps: SyncRouteDeps, req: Request): SyncPolicy {
  return policyForProtocol(deps.policy, req.protocolVersion ?? PROTOCOL_VERSION);
}

/** A terminal acts only as itself (G8): the body's terminalId must be the key's terminal. */
function assertSelf(terminal: AuthedTerminal, claimed: string): void {
  if (claimed !== terminal.id) {
    throw new ForbiddenError(`this key belongs to terminal ${terminal.id}, not ${claimed}`);
  }
}

/** Runs `fn`; a 423 it throws is counted in /metrics on its way to the error handler. */
function counted<T>(deps: SyncRouteDeps, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SyncStoppedError) deps.metrics?.syncStopped.inc({ kind: err.details?.kind ?? "unknown" });
    throw err;
  }
}

/** A refused hijack (G8): logged at warn with both terminals, counted by rule. */
function reportRefusal(deps: SyncRouteDeps, r: Refusal): void {
  deps.metrics?.pushRefusals.inc({ reason: r.rule, table: r.table });
  deps.logger?.warn(
    {
      terminalId: r.terminalId,
      ownerTerminalId: r.ownerTerminalId,
      ownerStoreId: r.ownerStoreId,
      table: r.table,
      entityId: r.entityId,
      changeId: r.changeId,
      rule: r.rule,
    },
    `push refused: terminal ${r.terminalId} tried to write ${r.table} ${r.entityId} of ${r.ownerTerminalId ? `terminal ${r.ownerTerminalId}` : `store ${r.ownerStoreId ?? "central"}`}`,
  );
}

/** Central's side of a conflict as an agent of an older protocol knows the row: its columns only. */
function centralDataFor(policy: SyncPolicy, changes: PushChange[], results: PushResult[]): PushResult[] {
  const tableOf = new Map(changes.map((c) => [c.changeId, c.entityType]));
  return results.map((r) => {
    const table = tableOf.get(r.changeId);
    if (r.status !== "CONFLICT" || !r.centralData || !table) return r;
    return { ...r, centralData: rowForProtocol(policy[table], r.centralData) };
  });
}

function push(deps: SyncRouteDeps): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    // The fast path returns exactly what zod would; anything it does not take, zod judges (shared fast-parse.ts).
    const body = fastPushRequest(req.body) ?? parseOrThrow(pushRequestSchema, req.body, "push request");
    // The parsed copy is all the push reads from here on. Released, the raw JSON tree (1,000
    // changes and their rows) dies in the next scavenge instead of being copied by every
    // scavenge during the push's database round trips and promoted to the old generation.
    req.body = undefined;
    const terminal = req.terminal!;
    assertSelf(terminal, body.terminalId);
    const policy = policyOf(deps, req);
    const applied = await applyPush(deps.store, policy, terminal, body.changes, {
      // In the push's own transaction, so a stop that has answered is never overtaken by a push.
      gate: async (tx) => {
        const hold = await tx.control.gate(terminal.id);
        counted(deps, () => assertSyncAllowed(terminal.id, hold, deps.stoppedRetryAfterS));
      },
      onRefused: (r) => reportRefusal(deps, r),
    });
    const results = policy === deps.policy ? applied : centralDataFor(policy, body.changes, applied);
    // The run counted what was pushed in the push's transaction (markSynced), before this answer.
    res.json({ results });
    deps.activity?.conflictsCreated(results.flatMap((x) => (x.status === "CONFLICT" ? [x.conflictId] : [])));
    const waiting = results.filter((x) => x.status === "CONFLICT" && x.resolution === "PENDING").length;
    if (waiting > 0)
      deps.alerts?.once(`conflicts:${terminal.id}`, deps.conflictAlertEveryMs ?? 600_000, {
        type: "CONFLICTS_WAITING",
        severity: "warning",
        terminalId: terminal.id,
        message: `terminal ${terminal.name}: ${waiting} conflict(s) wait for an operator (GET /api/conflicts?status=PENDING)`,
        details: { conflicts: waiting, name: terminal.name },
      });
  };
}

/** Why a timestamp is refused: the answer to the sync guides' `lastSync=<time>`. */
const LAST_SYNC_REFUSED =
  "lastSync is not accepted: a timestamp misses changes, because a transaction that started earlier " +
  "but committed later carries an older time than rows you already pulled. Pull by feed cursor: send " +
  "since=<nextCursor of your previous pull> (since=0 the first time) and keep the nextCursor it answers";

/** A cached page goes to many terminals: its JSON is written once (Express's res.json, without the repeats). */
const pageJson = new WeakMap<PullResponse, string>();
function sendPage(res: Response, page: PullResponse): void {
  let json = pageJson.get(page);
  if (json === undefined) pageJson.set(page, (json = JSON.stringify(page)));
  res.set("Content-Type", "application/json; charset=utf-8").send(json);
}

/**
 * A terminal's pull, whichever way it came (GET /api/sync/pull, or `sync:pull` on its socket,
 * hub/socket-pull.ts): the same checks, the same page, the same errors.
 */
export type ServePull = (terminal: AuthedTerminal, query: PullQuery, protocolVersion: number) => Promise<PullResponse>;

export function servePull(deps: SyncRouteDeps): ServePull {
  const { store } = deps;
  const cache = deps.feedPages;
  return async (terminal, q, protocolVersion) => {
    const { storeId, id } = terminal;
    // Read afresh by every pull, never cached: a stop, pause or restore committed before it is seen.
    const { hold, identity, unsequenced, inRun, head } = await store.pullStart.start(id);
    counted(deps, () => assertSyncAllowed(id, hold, deps.stoppedRetryAfterS));
    const { since, limit, entityType, epoch } = q;
    const onNewEpoch = (e: string, reason: string) =>
      deps.logger?.warn({ epoch: e, terminalId: id }, `feed epoch changed to ${e}: ${reason}`);
    const policy = policyForProtocol(deps.policy, protocolVersion);
    const start = { identity, unsequenced, head };
    const page = await readFeed(store, { storeId, since, limit, entityType, epoch, policy, onNewEpoch, start, cache });
    if (inRun) await store.runs.addRecords(id, { pulled: page.changes.length });
    if (page.epoch) deps.onServed?.(page.epoch, page.nextCursor);
    return page;
  };
}

function pull(serve: ServePull): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    if (req.query.lastSync !== undefined) throw new ValidationError(LAST_SYNC_REFUSED);
    const q = parseOrThrow(pullQuerySchema, req.query, "pull query");
    sendPage(res, await serve(req.terminal!, q, req.protocolVersion ?? PROTOCOL_VERSION));
  };
}

/** Terminal endpoints under /api/sync. */
export function syncRoutes(deps: SyncRouteDeps): Router {
  const { store, auth } = deps;
  const r = Router();
  // Before authentication: a 426 says what to upgrade whatever the key (GET /health says as much).
  r.use(protocolGate({ range: deps.protocols }));
  // After each exchange answered 200, the console learns the terminal's new state.
  r.use((req, res, next) => {
    res.on("finish", () => {
      if (res.statusCode === 200 && req.terminal) deps.activity?.terminalActivity(req.terminal.id);
    });
    next();
  });

  // /upload and /download: the sync guides' names for push and pull (openapi/alias-routes.ts).
  r.post(["/push", "/upload"], auth, route(push(deps)));
  r.get(["/pull", "/download"], auth, route(pull(deps.serve ?? servePull(deps))));

  r.post(
    "/acknowledge",
    auth,
    route(async (req, res) => {
      const body = parseOrThrow(acknowledgeRequestSchema, req.body, "acknowledge request");
      assertSelf(req.terminal!, body.terminalId);
      // Central's feed decides what is a position of it, not the till's word (G8).
      if (!(await store.terminals.acknowledge(body.terminalId, body.cursor, body.epoch)))
        throw await refusedAcknowledge(store, body.cursor, body.epoch);
      res.json({ ok: true });
    }),
  );

  // POST /heartbeat is mounted on the app before these layers (heartbeat-mount.ts).

  return r;
}
