import { MAX_REPORTED_FAILED_CHANGES, type HeartbeatRequest } from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import { lastCycleError } from "../status/agent-status";
import { storageReport } from "../sync/storage-condition";
import { circuitOf, reportedStatus } from "../sync/sync-state-machine";
import type { CentralTransport } from "../transport/central-transport";
import type { Agent } from "./agent";

/**
 * The error central shows for this till: a protocol hold, coded so central colours it red (no
 * cycle runs while it holds, so the last cycle's error may be older), else the last cycle's.
 */
function reportedError(agent: Pick<Agent, "engine" | "db">): HeartbeatRequest["lastError"] {
  const hold = agent.engine.heldBy();
  if (hold?.kind === "UPGRADE_REQUIRED")
    return { message: hold.reason ?? "upgrade required", at: hold.heardAt, code: "UPGRADE_REQUIRED" };
  return lastCycleError(agent.db) ?? null;
}

/**
 * How often beats go while they fail: soon after central answers again, one lands and ends the
 * engine's backoff (which may otherwise wait up to SYNC_BACKOFF_CAP_MS). Two seconds keeps a till
 * within G9's "back in seconds" after a partition heals; while central is down that is one
 * refused connection per till every two seconds, which no proxy in front of central minds.
 */
export const HEARTBEAT_FAILING_INTERVAL_MS = 2_000;

/**
 * The agent's one heartbeat sender: tells central this terminal is alive, in which engine
 * state, with its outbox counts, every HEARTBEAT_INTERVAL_MS and whenever something central
 * should see at once happens (the socket link's pause and resume call `beatNow`).
 *
 * A failed regular beat is not worth reporting: the engine already reports central being
 * unreachable, and the next beat tells central anyway. While beats fail they go every
 * `failingIntervalMs` instead: the first one that lands again is how a till whose socket never
 * dropped learns that central answers (its breaker then probes at once, G9). A failed `beatNow` is logged, since an
 * operator looking at central would otherwise wonder why a pause does not show.
 */
export class HeartbeatSender {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The last beat failed: the next one that gets through is news that central is back. */
  private failing = false;

  constructor(
    private readonly transport: CentralTransport,
    private readonly agent: Pick<Agent, "engine" | "outbox" | "db">,
    private readonly intervalMs: number,
    private readonly log: (msg: string) => void = () => undefined,
    private readonly failingIntervalMs: number = HEARTBEAT_FAILING_INTERVAL_MS,
  ) {}

  /** One beat now, then one per interval (the timer never holds the process open). */
  start(): this {
    const beat = () =>
      void this.send()
        .catch(() => undefined)
        .finally(() => {
          if (this.stopped) return;
          const wait = this.failing ? Math.min(this.intervalMs, this.failingIntervalMs) : this.intervalMs;
          this.timer = setTimeout(beat, wait);
          this.timer.unref();
        });
    beat();
    return this;
  }

  /** One beat now; a failure is logged, not thrown. */
  async beatNow(): Promise<void> {
    try {
      await this.send();
    } catch (err) {
      this.log(`heartbeat failed: ${(err as Error).message}`);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async send(): Promise<void> {
    if (this.stopped) return;
    const { engine, outbox, db } = this.agent;
    try {
      await this.transport.heartbeat({
        status: reportedStatus(engine.current.kind),
        outbox: outbox.counts(),
        // What the console shows beside the counts: the last error (null after a clean cycle)
        // and the parked changes with their errors.
        lastError: reportedError(this.agent),
        failedChanges: outbox.failedChanges(MAX_REPORTED_FAILED_CHANGES),
        storage: storageReport(engine.storageCondition, db.name),
        // Why a till fails, seen from central: its breaker, and when it last synced cleanly.
        circuit: circuitOf(engine.current),
        lastSyncAt: new SyncStateStore(db).get("last_sync_at") ?? null,
      });
    } catch (err) {
      this.failing = true;
      throw err;
    }
    // Only a change from failing to answering counts as evidence: a central whose pushes fail
    // while heartbeats land must not get a probe per beat instead of the breaker's cool-down.
    if (this.failing) {
      this.failing = false;
      void engine.centralReachable();
    }
  }
}
