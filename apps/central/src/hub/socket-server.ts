import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server, type Socket } from "socket.io";
import {
  RateLimitedError,
  type RegisterAnswer,
  type SocketPayload,
  type SyncCursorAnswer,
  type SyncPullAnswer,
} from "@tillsync/shared";
import type { AuthThrottle } from "../auth/auth-throttle";
import { findTerminalByKey, type AuthedTerminal, type KeyLookup } from "../auth/bearer";
import { handshakeProtocolError } from "../http/protocol-gate";

/** Events central sends; payloads are the shared protocol's (socket-events.ts). */
export interface ServerToClientEvents {
  "sync:trigger": (p: SocketPayload<"sync:trigger">) => void;
  "sync:pause": (p: SocketPayload<"sync:pause">) => void;
  "sync:resume": (p: SocketPayload<"sync:resume">) => void;
}

/**
 * Events terminals send. Payloads are `unknown` until parsed: a socket is an untrusted input,
 * and so is whether the last argument is a callback (socket.io's acknowledgement, asked for by
 * agents that know it; older ones emit without).
 */
export interface ClientToServerEvents {
  "terminal:register": (p: unknown, answer?: (a: RegisterAnswer) => void) => void;
  "sync:ack": (p: unknown, answer?: (a: SyncCursorAnswer) => void) => void;
  "sync:cursor": (p: unknown, answer?: (a: SyncCursorAnswer) => void) => void;
  "sync:pull": (p: unknown, answer?: (a: SyncPullAnswer) => void) => void;
}

/** Events between central instances (through the Redis adapter). */
export interface InterServerEvents {
  /** A terminal acked a trigger on the sending instance: a delivery waiting here looks now. */
  "trigger:acked": (terminalId: string) => void;
  /**
   * The feed changed for these stores (null: an all-stores table) at `timestamp`: each instance
   * triggers its own connected terminals in that scope (hub.ts dataChanged).
   */
  "data:changed": (stores: Array<string | null>, timestamp: string) => void;
}

export interface SocketData {
  terminal: AuthedTerminal;
}

export type HubServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type HubSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Keys are ~50 characters; a handshake token far longer is not one (and is not hashed). */
const MAX_TOKEN_LENGTH = 1024;

function unauthorized(message: string): Error {
  // `data` reaches the client's connect_error, so an agent can tell a bad key from a network error.
  return Object.assign(new Error(message), { data: { code: "UNAUTHORIZED" } });
}

export interface SocketServerHandle {
  io: HubServer;
  close(): Promise<void>;
}

/**
 * socket.io on central's HTTP server, with the Redis adapter so a room emit on one instance
 * reaches sockets held by the others. The handshake is authenticated exactly like HTTP
 * terminal auth: an unknown, revoked (rotated-out) key or a disabled terminal is refused.
 */
export function createSocketServer(
  server: HttpServer,
  deps: { terminals: KeyLookup; redisUrl: string; redisPrefix: string; throttle?: AuthThrottle },
): SocketServerHandle {
  const pub = new Redis(deps.redisUrl, { maxRetriesPerRequest: null });
  const sub = pub.duplicate();
  pub.on("error", () => undefined); // reconnects by itself; /ready reports Redis health
  sub.on("error", () => undefined);
  const io: HubServer = new Server(server, {
    adapter: createAdapter(pub, sub, { key: `${deps.redisPrefix}:socket.io` }),
    serveClient: false,
    cors: { origin: false },
  });
  // Failed handshakes count against the connecting address like failed HTTP authentication.
  const refuse = (socket: HubSocket, message: string, next: (err?: Error) => void) => {
    const err = unauthorized(message);
    if (!deps.throttle) return next(err);
    void deps.throttle
      .failed(socket.handshake.address, err)
      .then((e) =>
        next(
          e instanceof RateLimitedError
            ? Object.assign(new Error(e.message), { data: { code: e.code, ...(e.details as object) } })
            : e,
        ),
      );
  };
  // A till whose protocol central does not serve learns what to upgrade, as over HTTP (426).
  io.use((socket, next) => next(handshakeProtocolError(socket.handshake.auth)));
  io.use((socket, next) => {
    const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      return refuse(socket, "send the terminal key as io(url, { auth: { token: <key> } })", next);
    }
    findTerminalByKey(deps.terminals, token).then(
      (t) => {
        if (!t)
          return refuse(
            socket,
            "terminal key is unknown, revoked, past its grace period or its terminal is disabled; ask for a current key",
            next,
          );
        socket.data.terminal = t;
        next();
      },
      (err: Error) => next(err),
    );
  });
  return {
    io,
    async close() {
      // Not io.disconnectSockets(): through the adapter that would disconnect every terminal of
      // the cluster, and tell them not to reconnect. close() drops only this instance's
      // sockets, as a lost transport, so those terminals reconnect (to any instance).
      await new Promise<void>((resolve) => {
        // io.close() also closes the HTTP server; its callback errors when it already was.
        void io.close(() => resolve());
      });
      pub.disconnect();
      sub.disconnect();
    },
  };
}
