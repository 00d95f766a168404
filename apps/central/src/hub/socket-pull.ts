import {
  PROTOCOL_VERSION,
  readProtocolHeader,
  socketEvents,
  TillsyncError,
  type SyncPullAnswer,
} from "@tillsync/shared";
import { findTerminalByKey, type KeyLookup } from "../auth/bearer";
import type { Logger } from "../observability/logger";
import { databaseUnavailable } from "../store/database-unavailable";
import type { ServePull } from "../routes/sync-routes";
import type { HubSocket } from "./socket-server";

/**
 * A pull over the terminal's socket (`sync:pull`): after a price change each of a thousand tills
 * made a GET /api/sync/pull, a request with its Express chain and authentication on top of the
 * socket it already holds, authenticated at its handshake; over the socket it is one message and
 * its answer. The page is the HTTP pull's own (routes/sync-routes.ts servePull: the same hold,
 * epoch and expiry checks, the same cached page), and so are its errors, which the agent treats
 * as their HTTP answers. The HTTP pull stays for older agents, for a central that does not
 * advertise this, and as the agent's fallback when no answer comes.
 */
export interface SocketPullDeps {
  terminals: KeyLookup;
  /** Whether this instance offers it (HubTunables.pullOverSocket) and the app gave it its pull. */
  serve: ServePull | undefined;
  /** After a page was answered: what the HTTP pull's 200 tells the console. */
  onPulled?: (terminalId: string) => void;
  log: Logger;
}

/** The protocol the socket's handshake named (checked there: refused sockets never get here). */
function protocolOf(socket: HubSocket): number {
  const raw = (socket.handshake.auth as { protocol?: unknown } | undefined)?.protocol;
  const h = readProtocolHeader(raw === undefined ? undefined : String(raw));
  return h.ok ? h.version : PROTOCOL_VERSION;
}

/**
 * Answers a `sync:pull` of `socket`'s terminal with its page, or with the error body the HTTP
 * pull would answer. Refused with `ok: false`, nothing read: a malformed query, another
 * terminal's id (G8), a key revoked or a terminal disabled since the handshake (the HTTP pull
 * would answer 401), or this instance not offering it. A failure of central's own (a 5xx over
 * HTTP) is answered with `ok: false` and no error: the agent pulls over HTTP.
 */
export function onSyncPull(socket: HubSocket, deps: SocketPullDeps, raw: unknown, answer: unknown): void {
  const reply = (a: SyncPullAnswer) => {
    if (typeof answer === "function") (answer as (a: SyncPullAnswer) => void)(a);
  };
  const t = socket.data.terminal;
  const serve = deps.serve;
  if (!serve) return reply({ ok: false, reason: "sync:pull is off on this central: GET /api/sync/pull" });
  const p = socketEvents["sync:pull"].safeParse(raw);
  if (!p.success) return reply({ ok: false, reason: `sync:pull: ${p.error.issues[0]?.message ?? "invalid"}` });
  const { terminalId, ...query } = p.data;
  if (terminalId !== t.id)
    return reply({ ok: false, reason: `this socket belongs to terminal ${t.id}, not ${terminalId}` });
  const token = (socket.handshake.auth as { token?: unknown }).token;
  void (async () => {
    const holder = typeof token === "string" ? await findTerminalByKey(deps.terminals, token) : undefined;
    if (holder?.id !== t.id) return reply({ ok: false, reason: "terminal key is no longer valid" });
    const page = await serve(t, query, protocolOf(socket));
    reply({ ok: true, page });
    deps.onPulled?.(t.id);
  })().catch((err: unknown) => {
    // What the HTTP pull answers with its status below 500 (a hold, a reset, an expired cursor) is
    // the agent's to act on; anything else is central's failure, and HTTP may fare better.
    if (err instanceof TillsyncError && err.httpStatus < 500) return reply({ ok: false, error: err.toJSON().error });
    // Nor would HTTP fare better while the database is gone: the agent waits as told.
    const unavailable = databaseUnavailable(err);
    if (unavailable) return reply({ ok: false, error: unavailable.toJSON().error });
    deps.log.warn({ err, terminalId: t.id }, "sync:pull failed");
    reply({ ok: false, reason: "the pull failed on central; pull over HTTP" });
  });
}

/** The hub's `sync:pull`: on when this instance offers it and the app has handed over its pull. */
export class SocketPulls {
  private serve: ServePull | undefined;
  /** After a page was answered (the console's events, as for the HTTP pull's 200). */
  onPulled?: (terminalId: string) => void;

  constructor(private readonly deps: { terminals: KeyLookup; enabled: boolean; log: Logger }) {}

  /** The app's pull (routes/sync-routes.ts servePull), so terminals may pull over their sockets. */
  offer(serve: ServePull): void {
    this.serve = serve;
  }

  /** What the register answer says (`pull`). */
  get offered(): boolean {
    return this.deps.enabled && this.serve !== undefined;
  }

  answer(socket: HubSocket, raw: unknown, answer: unknown): void {
    const { terminals, log } = this.deps;
    const serve = this.offered ? this.serve : undefined;
    onSyncPull(socket, { terminals, serve, log, onPulled: (id) => this.onPulled?.(id) }, raw, answer);
  }
}
