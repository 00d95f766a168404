import type { HubTunables } from "../config";
import type { Logger } from "../observability/logger";
import { outboxTotals, type StoredHeartbeat } from "../store/stored-heartbeat";
import type { SyncHistoryStore } from "../store/sync-history";
import type { TerminalQueries } from "../store/terminals";

/** What the sweep reads and writes. */
export interface SweepStore {
  terminals: Pick<TerminalQueries, "markSilentOffline" | "liveHeartbeats">;
  history: Pick<SyncHistoryStore, "recordOffline">;
}

export type BacklogThresholds = Pick<HubTunables, "backlogAlertPending" | "backlogAlertFailed">;

/** True when a heartbeat says the terminal is falling behind (more pending or failed than allowed). */
export function hasBacklog(hb: StoredHeartbeat | null, t: BacklogThresholds): boolean {
  const totals = outboxTotals(hb);
  return totals.pending > t.backlogAlertPending || totals.failed > t.backlogAlertFailed;
}

/**
 * Turns terminals silent for longer than the timeout OFFLINE. Runs as a BullMQ job scheduler,
 * so once per cluster; only ONLINE terminals change, so each silence is recorded once (a
 * sync_history row of kind OFFLINE), even if two sweeps overlapped. Then raises a backlog
 * alert for every live terminal whose last heartbeat says it is falling behind; `alertOnce`
 * throttles them so one backlog is not logged on every sweep.
 */
export async function sweepHeartbeats(
  store: SweepStore,
  opts: { timeoutS: number } & BacklogThresholds,
  log: Logger,
  alertOnce: (terminalId: string) => Promise<boolean>,
): Promise<string[]> {
  const { timeoutS } = opts;
  const silent = await store.terminals.markSilentOffline(timeoutS);
  await store.history.recordOffline(
    silent.map((r) => r.id),
    timeoutS,
  );
  for (const r of silent)
    log.warn({ terminalId: r.id, name: r.name, timeoutS }, "terminal went OFFLINE: heartbeats stopped");
  for (const r of await store.terminals.liveHeartbeats()) {
    if (hasBacklog(r.heartbeat, opts) && (await alertOnce(r.id))) {
      const { pending, failed } = outboxTotals(r.heartbeat);
      log.error(
        { alert: "SYNC_BACKLOG", terminalId: r.id, name: r.name, pending, failed },
        `terminal sync backlog: pending > ${opts.backlogAlertPending} or failed > ${opts.backlogAlertFailed}`,
      );
    }
  }
  return silent.map((r) => r.id);
}
