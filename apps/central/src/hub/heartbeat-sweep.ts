import type { CentralDb } from "../db/database";
import type { Logger } from "../observability/logger";

/** A heartbeat with more than this many pending or failed changes raises an alert. */
export const ALERT_PENDING = 100;
export const ALERT_FAILED = 5;

interface HeartbeatJson {
  status?: string;
  outbox?: Record<string, { pending?: number; failed?: number }>;
}

export function outboxTotals(hb: unknown): { pending: number; failed: number } {
  const out = { pending: 0, failed: 0 };
  for (const c of Object.values((hb as HeartbeatJson | null)?.outbox ?? {})) {
    out.pending += c.pending ?? 0;
    out.failed += c.failed ?? 0;
  }
  return out;
}

/**
 * Turns terminals silent for longer than the timeout OFFLINE. Runs as a BullMQ job scheduler,
 * so once per cluster; the UPDATE only picks ONLINE terminals, so each silence is recorded
 * once (a sync_history row of kind OFFLINE), even if two sweeps overlapped.
 */
export async function sweepHeartbeats(
  db: CentralDb,
  timeoutS: number,
  log: Logger,
  alertOnce: (terminalId: string) => Promise<boolean>,
): Promise<string[]> {
  const { rows } = await db.pool.query<{ id: string; name: string; last_heartbeat: unknown }>(
    `UPDATE terminals SET status = 'OFFLINE'
      WHERE status = 'ONLINE' AND (last_seen_at IS NULL OR last_seen_at < now() - make_interval(secs => $1))
      RETURNING id, name, last_heartbeat`,
    [timeoutS],
  );
  if (rows.length > 0) {
    await db.pool.query(
      `INSERT INTO sync_history (terminal_id, kind, finished_at, error)
       SELECT id, 'OFFLINE', now(), 'no heartbeat for ' || $2 || ' s' FROM unnest($1::uuid[]) AS id`,
      [rows.map((r) => r.id), timeoutS],
    );
  }
  for (const r of rows)
    log.warn({ terminalId: r.id, name: r.name, timeoutS }, "terminal went OFFLINE: heartbeats stopped");
  // Backlog alerts for every live terminal whose last heartbeat says it is falling behind;
  // `alertOnce` throttles them so one backlog is not logged on every sweep.
  const { rows: live } = await db.pool.query<{ id: string; name: string; last_heartbeat: unknown }>(
    `SELECT id, name, last_heartbeat FROM terminals WHERE status <> 'DISABLED' AND last_heartbeat IS NOT NULL`,
  );
  for (const r of live) {
    const t = outboxTotals(r.last_heartbeat);
    if ((t.pending > ALERT_PENDING || t.failed > ALERT_FAILED) && (await alertOnce(r.id))) {
      log.error(
        { alert: "SYNC_BACKLOG", terminalId: r.id, name: r.name, ...t },
        "terminal sync backlog: pending > 100 or failed > 5",
      );
    }
  }
  return rows.map((r) => r.id);
}
