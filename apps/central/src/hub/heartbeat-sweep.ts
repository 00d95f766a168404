import type { Redis } from "ioredis";
import type { AlertSink } from "../alerts/alert-sink";
import { backlogAlert, offlineAlert } from "../alerts/hub-alerts";
import type { CentralConfig, HubTunables } from "../config";
import type { Logger } from "../observability/logger";
import { outboxTotals, type StoredHeartbeat } from "../store/stored-heartbeat";
import type { SyncHistoryStore } from "../store/sync-history";
import type { TerminalQueries } from "../store/terminals";

/** What the sweep reads and writes. */
export interface SweepStore {
  terminals: Pick<TerminalQueries, "markSilentOffline" | "backloggedHeartbeats">;
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
 * alert for every live terminal whose last heartbeat says it is falling behind (PostgreSQL sums
 * the counts, so only those rows reach central); `alertOnce`
 * throttles them so one backlog is not logged on every sweep; `onBacklog` hears each one raised.
 * Returns the terminals it turned OFFLINE.
 */
export async function sweepHeartbeats(
  store: SweepStore,
  opts: { timeoutS: number } & BacklogThresholds,
  log: Logger,
  alertOnce: (terminalId: string) => Promise<boolean>,
  onBacklog: (t: { id: string; name: string; pending: number; failed: number }) => void = () => undefined,
): Promise<Array<{ id: string; name: string }>> {
  const { timeoutS } = opts;
  const silent = await store.terminals.markSilentOffline(timeoutS);
  await store.history.recordOffline(
    silent.map((r) => r.id),
    timeoutS,
  );
  for (const r of silent)
    log.warn({ terminalId: r.id, name: r.name, timeoutS }, "terminal went OFFLINE: heartbeats stopped");
  const over = { pending: opts.backlogAlertPending, failed: opts.backlogAlertFailed };
  for (const r of await store.terminals.backloggedHeartbeats(over)) {
    if (hasBacklog(r.heartbeat, opts) && (await alertOnce(r.id))) {
      const { pending, failed } = outboxTotals(r.heartbeat);
      log.error(
        { alert: "SYNC_BACKLOG", terminalId: r.id, name: r.name, pending, failed },
        `terminal sync backlog: pending > ${opts.backlogAlertPending} or failed > ${opts.backlogAlertFailed}`,
      );
      onBacklog({ id: r.id, name: r.name, pending, failed });
    }
  }
  return silent;
}

/**
 * The heartbeat-sweep hub job: the sweep with the configured timeout and thresholds, backlog
 * alerts throttled per terminal cluster-wide (backlogAlertEveryMs), an alert per terminal turned
 * OFFLINE. Returns the ids turned OFFLINE.
 */
export async function heartbeatSweepJob(deps: {
  store: SweepStore;
  redis: Redis;
  log: Logger;
  alerts?: AlertSink;
  config: Pick<CentralConfig, "HEARTBEAT_TIMEOUT_S" | "hub">;
}): Promise<string[]> {
  const { config, redis, alerts } = deps;
  const t = config.hub;
  const limits = { pending: t.backlogAlertPending, failed: t.backlogAlertFailed };
  const offline = await sweepHeartbeats(
    deps.store,
    { timeoutS: config.HEARTBEAT_TIMEOUT_S, backlogAlertPending: limits.pending, backlogAlertFailed: limits.failed },
    deps.log,
    async (id) => (await redis.set(`hub:alerted:${id}`, "1", "PX", t.backlogAlertEveryMs, "NX")) === "OK",
    (b) => alerts?.raise(backlogAlert(b, limits)),
  );
  for (const o of offline) alerts?.raise(offlineAlert(o, config.HEARTBEAT_TIMEOUT_S));
  return offline.map((o) => o.id);
}
