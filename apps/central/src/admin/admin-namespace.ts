import { ADMIN_NAMESPACE, ADMIN_SOCKET_UNAUTHORIZED } from "@tillsync/shared";
import type { Namespace, Socket } from "socket.io";
import { OperatorAuthenticator, type OperatorPrincipal } from "../auth/operator-auth";
import { bearerToken } from "../auth/bearer";
import { readCookie } from "../auth/cookies";
import { sha256 } from "../auth/operator-tokens";
import type { HubServer } from "../hub/socket-server";
import type { Logger } from "../observability/logger";
import type { OperatorStore } from "../store/operators";
import type { SessionStore } from "../store/operator-sessions";
import { SESSION_COOKIE_NAME } from "@tillsync/shared";

interface AdminSocketData {
  operator: OperatorPrincipal;
  /** Set for a socket signed in by the session cookie. */
  sessionHash?: string;
  /** Set for a socket signed in with a named operator's token. */
  tokenHash?: string;
  expiresAt?: number;
}

type AdminSocket = Socket<Record<string, never>, Record<string, never>, Record<string, never>, AdminSocketData>;

export interface AdminNamespaceDeps {
  authn: OperatorAuthenticator;
  sessions: Pick<SessionStore, "liveAmong">;
  operators: Pick<OperatorStore, "findByTokenHash">;
  /** How often this instance re-checks its admin sockets' sessions and tokens. */
  checkEveryMs: number;
  log: Logger;
}

export interface AdminNamespace {
  /** Disconnects every socket of this operator, on every instance (revoked). */
  disconnectOperator(operatorId: string): void;
  /** Disconnects the sockets of one session, on every instance (signed out). */
  disconnectSession(sessionHash: string): void;
  close(): void;
}

const operatorRoom = (id: string) => `operator:${id}`;
const sessionRoom = (hash: string) => `session:${hash}`;

/** A handshake from a page of another site is refused, whatever cookie it carries. */
function foreignOrigin(socket: AdminSocket): boolean {
  const { origin, host } = socket.handshake.headers;
  if (!origin) return false;
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

async function authenticate(authn: OperatorAuthenticator, socket: AdminSocket): Promise<AdminSocketData | undefined> {
  const raw: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
  const token = typeof raw === "string" ? raw : bearerToken(socket.handshake.headers.authorization);
  if (token) {
    const operator = await authn.byToken(token);
    return operator && { operator, ...(operator.id ? { tokenHash: sha256(token) } : {}) };
  }
  if (foreignOrigin(socket)) return undefined;
  const session = await authn.bySessionCookie(socket.handshake.headers.cookie);
  if (!session) return undefined;
  const id = readCookie(socket.handshake.headers.cookie, SESSION_COOKIE_NAME)!;
  return { operator: session.operator, sessionHash: sha256(id), expiresAt: session.expiresAt.getTime() };
}

/**
 * The console's live namespace on the terminals' socket.io server. Handshakes are authenticated
 * by the session cookie (or `auth: { token }` for scripts); without one they are refused with
 * `UNAUTHORIZED`. A socket is dropped when its session expires, is signed out, or its operator
 * is revoked: at once when that happens through this cluster's API, and within `checkEveryMs`
 * otherwise (a revocation by the CLI).
 */
export function attachAdminNamespace(io: HubServer, deps: AdminNamespaceDeps): AdminNamespace {
  const nsp = io.of(ADMIN_NAMESPACE) as unknown as Namespace<
    Record<string, never>,
    Record<string, never>,
    Record<string, never>,
    AdminSocketData
  >;
  nsp.use((socket, next) => {
    authenticate(deps.authn, socket).then(
      (data) => {
        if (!data) return next(new Error(ADMIN_SOCKET_UNAUTHORIZED));
        socket.data = data;
        next();
      },
      (err: Error) => next(err),
    );
  });
  nsp.on("connection", (socket) => onConnection(socket));
  const timer = setInterval(() => void recheck(nsp, deps), deps.checkEveryMs);
  timer.unref();
  return {
    disconnectOperator: (id) => nsp.in(operatorRoom(id)).disconnectSockets(true),
    disconnectSession: (hash) => nsp.in(sessionRoom(hash)).disconnectSockets(true),
    close: () => clearInterval(timer),
  };
}

function onConnection(socket: AdminSocket): void {
  const { operator, sessionHash, expiresAt } = socket.data;
  const rooms = [
    ...(operator.id ? [operatorRoom(operator.id)] : []),
    ...(sessionHash ? [sessionRoom(sessionHash)] : []),
  ];
  if (rooms.length) void socket.join(rooms);
  if (expiresAt !== undefined) {
    const t = setTimeout(() => socket.disconnect(true), Math.max(0, expiresAt - Date.now()));
    t.unref();
    socket.on("disconnect", () => clearTimeout(t));
  }
}

/** Drops this instance's admin sockets whose session or operator token stopped being valid. */
async function recheck(
  nsp: Namespace<Record<string, never>, Record<string, never>, Record<string, never>, AdminSocketData>,
  deps: AdminNamespaceDeps,
): Promise<void> {
  try {
    const sockets = [...nsp.sockets.values()];
    const live = await deps.sessions.liveAmong(
      sockets.flatMap((s) => (s.data.sessionHash ? [s.data.sessionHash] : [])),
    );
    for (const s of sockets) {
      if (s.data.sessionHash && !live.has(s.data.sessionHash)) s.disconnect(true);
      else if (s.data.tokenHash && !(await deps.operators.findByTokenHash(s.data.tokenHash))) s.disconnect(true);
    }
  } catch (err) {
    deps.log.warn({ err }, "admin socket check failed; retried on the next tick");
  }
}
