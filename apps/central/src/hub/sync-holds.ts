import type { EmergencyState, TerminalPause } from "@tillsync/shared";
import type { AlertSink } from "../alerts/alert-sink";
import { emergencyAlert } from "../alerts/hub-alerts";
import type { Logger } from "../observability/logger";
import type { CentralStore } from "../store/central-store";
import type { Actor } from "../store/sync-control";
import { stopDetails } from "../sync/sync-gate";
import type { HubServer } from "./socket-server";
import { pausePayload } from "./terminal-socket";
import { terminalRoom } from "./trigger-delivery";

/**
 * Central's holds on sync (the emergency stop, an operator's pause of one terminal) as the
 * sockets hear them. PostgreSQL holds the state and enforces it (pushes and pulls answer 423); the
 * socket events are the fast path, so an agent stops without waiting for its next request.
 */
export interface HoldDeps {
  io: HubServer;
  store: Pick<CentralStore, "control" | "terminals">;
  stoppedRetryAfterS: number;
  log: Logger;
  alerts?: AlertSink;
}

/** Stops sync of every terminal, also those connecting later, until resumeAll. */
export async function emergencyStop(deps: HoldDeps, reason: string | undefined, by: Actor): Promise<EmergencyState> {
  const state = await deps.store.control.stop(reason ?? null, by);
  const held = stopDetails({ emergency: state, pause: null }, deps.stoppedRetryAfterS)!;
  deps.io.emit("sync:pause", pausePayload(held));
  deps.log.warn({ reason, by: by.name }, "EMERGENCY STOP: sync of every terminal stopped");
  deps.alerts?.raise(emergencyAlert(true, by.name, reason ?? null));
  return state;
}

export async function resumeAll(deps: HoldDeps, by: Actor): Promise<EmergencyState> {
  const state = await deps.store.control.resume(by);
  // Terminals an operator paused one by one stay paused: they are told again on register. A
  // room broadcast, not fetchSockets(): it needs no answer from Redis, so a resume during a
  // Redis outage still answers (local sockets hear it at once, the others when it is back).
  const paused = await deps.store.terminals.pausedIds();
  deps.io.except(paused.map(terminalRoom)).emit("sync:resume", {});
  deps.log.warn({ by: by.name }, "emergency stop lifted: terminals resume");
  deps.alerts?.raise(emergencyAlert(false, by.name, null));
  return state;
}

/** One terminal paused (or resumed): its sockets hear it now, on any instance. */
export async function tellTerminalHold(deps: HoldDeps, id: string, pause: TerminalPause | null): Promise<void> {
  const emergency = await deps.store.control.emergency();
  const held = stopDetails({ emergency, pause }, deps.stoppedRetryAfterS);
  const room = deps.io.in(terminalRoom(id));
  if (held) room.emit("sync:pause", pausePayload(held));
  else room.emit("sync:resume", {});
}
