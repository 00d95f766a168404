import {
  ADMIN_NAMESPACE,
  ADMIN_SOCKET_EVENTS,
  ADMIN_SOCKET_UNAUTHORIZED,
  adminSocketEvents,
  type AdminSocketEventName,
  type AdminSocketPayload,
} from "@tillsync/shared/browser";
import { io, type Socket } from "socket.io-client";

/**
 * The console's live feed: socket.io to central's /admin namespace, authenticated by the
 * session cookie the browser sends with the handshake. Each payload is checked against its
 * shared schema before any page sees it; one that does not fit is dropped and logged.
 */

export type LiveState = "connecting" | "live" | "reconnecting" | "signed-out";

type Handler<E extends AdminSocketEventName> = (payload: AdminSocketPayload<E>) => void;

export interface LiveFeed {
  on<E extends AdminSocketEventName>(event: E, handler: Handler<E>): () => void;
  /** Calls the handler with the current state at once, then on every change. */
  onState(handler: (state: LiveState) => void): () => void;
  /** Fires after a reconnect: events sent meanwhile are lost, so pages refetch. */
  onResync(handler: () => void): () => void;
  close(): void;
}

export function connectLiveFeed(
  connect: () => Socket = () => io(ADMIN_NAMESPACE, { withCredentials: true }),
): LiveFeed {
  const socket = connect();
  const handlers = new Map<AdminSocketEventName, Set<(p: unknown) => void>>();
  const stateHandlers = new Set<(s: LiveState) => void>();
  const resyncHandlers = new Set<() => void>();
  let everConnected = false;
  let current: LiveState = "connecting";
  const setState = (s: LiveState) => {
    current = s;
    stateHandlers.forEach((h) => h(s));
  };

  for (const event of ADMIN_SOCKET_EVENTS) {
    socket.on(event, (raw: unknown) => {
      const parsed = adminSocketEvents[event].safeParse(raw);
      if (!parsed.success) return console.warn(`dropped a malformed ${event} event`, parsed.error.issues);
      handlers.get(event)?.forEach((h) => h(parsed.data));
    });
  }
  socket.on("connect", () => {
    setState("live");
    if (everConnected) resyncHandlers.forEach((h) => h());
    everConnected = true;
  });
  // Central itself drops an /admin socket only when its session ended (signed out, expired,
  // operator revoked); socket.io does not reconnect then, so the console signs out at once.
  socket.on("disconnect", (reason: string) =>
    setState(reason === "io server disconnect" ? "signed-out" : "reconnecting"),
  );
  socket.on("connect_error", (err: Error) =>
    setState(err.message === ADMIN_SOCKET_UNAUTHORIZED ? "signed-out" : "reconnecting"),
  );

  const subscribe = <T>(set: Set<T>, h: T) => {
    set.add(h);
    return () => void set.delete(h);
  };
  return {
    on(event, handler) {
      const set = handlers.get(event) ?? new Set();
      handlers.set(event, set);
      return subscribe(set, handler as (p: unknown) => void);
    },
    // The socket may connect before a page subscribes (the shell mounts after the session
    // check): a new subscriber hears the current state at once, or it would wait for the next.
    onState: (h) => {
      h(current);
      return subscribe(stateHandlers, h);
    },
    onResync: (h) => subscribe(resyncHandlers, h),
    close: () => void socket.close(),
  };
}
