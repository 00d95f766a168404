import type { OutboxStore } from "../outbox/outbox-store";
import type { SyncEngine } from "../sync/sync-engine";
import type { CentralTransport } from "../transport/central-transport";

export const HEARTBEAT_INTERVAL_MS = 30_000;

/**
 * Tells central this terminal is alive, in which state, with its outbox counts. Central marks
 * a terminal OFFLINE after HEARTBEAT_TIMEOUT_S (90 s) of silence, so 30 s leaves room for two
 * lost beats. A failed beat is not an error worth reporting: the engine already reports
 * central being unreachable. Returns a stop function.
 */
export function startHeartbeat(
  transport: CentralTransport,
  engine: SyncEngine,
  outbox: OutboxStore,
  intervalMs = HEARTBEAT_INTERVAL_MS,
): () => void {
  const beat = () =>
    void transport.heartbeat({ status: engine.current.kind, outbox: outbox.counts() }).catch(() => undefined);
  beat();
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
