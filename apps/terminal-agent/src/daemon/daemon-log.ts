import type { Logger } from "../log/agent-logger";
import { describeFeedRecovery } from "../recovery/feed-recovery";
import type { CycleReport } from "../sync/engine-options";
import type { SyncEngine } from "../sync/sync-engine";

/** The fields of a cycle on every line about it, named as central's logs name them. */
function cycleFields(r: CycleReport) {
  return {
    cycleId: r.cycleId,
    durationMs: r.durationMs,
    pushed: r.pushed,
    pulled: r.pulled,
    conflicts: r.conflicts,
    failed: r.failed,
  };
}

/** What the daemon tells its log (stdout under systemd / Docker) about the engine. */
export function logEngineEvents(engine: SyncEngine, log: Logger): void {
  engine.on("cycle", (r) => {
    if (r.recovery)
      log.warn({ ...cycleFields(r), recovery: r.recovery }, `feed recovery: ${describeFeedRecovery(r.recovery)}`);
    if (r.held) log.warn({ ...cycleFields(r), err: r.error }, `sync held by central: ${r.error}`);
    else if (r.error) log.warn({ ...cycleFields(r), err: r.error }, `sync failed: ${r.error}`);
    else if (r.pushed || r.pulled || r.conflicts || r.failed)
      log.info(
        cycleFields(r),
        `sync: pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`,
      );
    else log.debug(cycleFields(r), "sync: nothing to move");
  });
  engine.on("state", (s) => {
    log.debug({ state: s.kind, failures: s.failures }, `state ${s.kind}`);
    if (s.kind === "circuit-open")
      log.error(
        { state: s.kind, failures: s.failures, retryAt: new Date(s.retryAt).toISOString() },
        `circuit open after ${s.failures} consecutive failures; next probe at ${new Date(s.retryAt).toISOString()}`,
      );
  });
}

/** The line for the daemon's first cycle, which runs before anything else is logged. */
export function logStartupSync(log: Logger, first: CycleReport): void {
  if (first.skipped === "paused") log.info("sync is paused on this terminal (tillsync-agent resume)");
  else if (first.error)
    log.warn(
      { ...cycleFields(first), err: first.error },
      `startup sync failed (${first.error}); retrying in the background`,
    );
  else log.info(cycleFields(first), `startup sync: pushed ${first.pushed}, pulled ${first.pulled}`);
}

export function cleanupLine(r: { outbox: number; history: number }): string {
  return `daily cleanup: deleted ${r.outbox} synced outbox row(s), ${r.history} history row(s)`;
}
