import { socketEvents, type SocketPayload, type SyncStopDetails } from "@tillsync/shared";
import type { CentralConfig } from "../config";
import type { Logger } from "../observability/logger";
import type { HubMetrics } from "../observability/metrics";
import type { CentralStore } from "../store/central-store";
import { stopDetails } from "../sync/sync-gate";
import { onSyncAck } from "./socket-ack";
import { onSyncCursor, registerAnswer, type CursorAckDeps } from "./socket-cursor-ack";
import type { SocketPulls } from "./socket-pull";
import type { HubSocket } from "./socket-server";
import type { SyncRuns } from "./sync-runs";
import { storeRoom, terminalRoom, type TriggerDelivery } from "./trigger-delivery";

/** Each socket also joins its key's room, so the sockets of one key can be dropped. */
export const keyRoom = (keyId: string): string => `key:${keyId}`;

/** What a terminal's socket is served with (the hub's parts). */
export interface TerminalSocketDeps {
  config: CentralConfig;
  store: Pick<CentralStore, "terminals" | "control">;
  metrics: HubMetrics;
  log: Logger;
  delivery: TriggerDelivery;
  runs: SyncRuns;
  pulls: SocketPulls;
  /** After a cursor was recorded from the socket (`sync:cursor`, or on `sync:ack`): the console's events. */
  onCursorAcked(terminalId: string): void;
}

/**
 * A terminal's socket, once its handshake was authenticated (socket-server.ts): its rooms, its
 * register (answered with what this instance takes on the socket), and the events it sends:
 * `sync:ack` (socket-ack.ts), `sync:cursor` (socket-cursor-ack.ts), `sync:pull` (socket-pull.ts).
 */
export function serveTerminalSocket(socket: HubSocket, deps: TerminalSocketDeps): void {
  const t = socket.data.terminal;
  const hub = deps.config.hub;
  void socket.join([terminalRoom(t.id), storeRoom(t.storeId), ...(t.keyId ? [keyRoom(t.keyId)] : [])]);
  deps.metrics.connectedTerminals.inc();
  socket.on("disconnect", () => deps.metrics.connectedTerminals.dec());
  const cursorAcks: CursorAckDeps = {
    terminals: deps.store.terminals,
    enabled: hub.cursorOverSocket,
    onAcked: (id) => deps.onCursorAcked(id),
    log: deps.log,
  };
  const acks = {
    delivery: deps.delivery,
    runs: deps.runs,
    terminals: deps.store.terminals,
    cursorOnAck: hub.cursorOnAck,
    metrics: deps.metrics,
    onCursorAcked: (id: string) => deps.onCursorAcked(id),
    log: deps.log,
  };
  socket.on("terminal:register", (raw, answer) => {
    const p = socketEvents["terminal:register"].safeParse(raw);
    if (!p.success || p.data.terminalId !== t.id) {
      deps.log.warn({ terminalId: t.id }, "terminal:register for another terminal; disconnecting");
      socket.disconnect(true);
      return;
    }
    // Agents that know the answer ask for it; it says what this instance takes on the socket.
    if (typeof answer === "function")
      answer({ ...registerAnswer(cursorAcks), pull: deps.pulls.offered, cursorOnAck: hub.cursorOnAck });
    void onRegister(socket, deps).catch((err: unknown) => deps.log.warn({ err, terminalId: t.id }, "register failed"));
  });
  socket.on("sync:ack", (raw, answer) => onSyncAck(socket, acks, raw, answer));
  socket.on("sync:cursor", (raw, answer) => onSyncCursor(socket, cursorAcks, raw, answer));
  socket.on("sync:pull", (raw, answer) => deps.pulls.answer(socket, raw, answer));
}

/** A terminal that (re)connects learns whether sync is held for it, and gets its pending trigger. */
async function onRegister(socket: HubSocket, deps: TerminalSocketDeps): Promise<void> {
  const id = socket.data.terminal.id;
  const held = stopDetails(await deps.store.control.holdOf(id), deps.config.hub.stoppedRetryAfterS);
  if (held) socket.emit("sync:pause", pausePayload(held));
  else socket.emit("sync:resume", {});
  await deps.delivery.onRegister(id);
}

/** The socket form of a stop: sync:pause with the operator's reason, what holds it, since when and by whom. */
export function pausePayload(d: SyncStopDetails): SocketPayload<"sync:pause"> {
  return { reason: d.reason ?? d.kind, kind: d.kind, since: d.since, by: d.by };
}
