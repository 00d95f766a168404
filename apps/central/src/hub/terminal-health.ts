import type { HubHealthColour, TerminalHealth, TerminalId, TerminalStatus } from "@tillsync/shared";
import { HUB_DEFAULTS, type HubTunables } from "../config";
import { outboxTotals, type StoredHeartbeat } from "../store/stored-heartbeat";
import type { TerminalRecord } from "../store/terminals";

export interface TerminalHealthInput {
  status: TerminalStatus;
  lastSyncAt: Date | null;
  lastHeartbeat: StoredHeartbeat | null;
  emergencyStop: boolean;
  /** Paused by an operator (its push and pull answer 423). */
  paused?: boolean;
}

export type HealthThresholds = Pick<HubTunables, "backlogAlertFailed" | "delayedAfterMs">;

/**
 * The health colour of SPEC §4: gray disabled; red failing (circuit open, more failed
 * changes than the alert threshold) or under emergency stop; yellow paused, backing off,
 * offline or delayed; green when it synced recently (or, online, reports itself idle or syncing).
 */
export function terminalHealth(
  t: TerminalHealthInput,
  now = Date.now(),
  limits: HealthThresholds = HUB_DEFAULTS,
): HubHealthColour {
  if (t.status === "DISABLED") return "gray";
  const agent = t.lastHeartbeat?.status;
  if (t.emergencyStop || agent === "circuit-open" || outboxTotals(t.lastHeartbeat).failed > limits.backlogAlertFailed)
    return "red";
  if (t.paused || agent === "paused" || agent === "backing-off" || t.status === "OFFLINE") return "yellow";
  // A live agent that reports itself idle or syncing has synced without trouble; otherwise
  // the last push central received must be recent.
  if (t.status === "ONLINE" && (agent === "idle" || agent === "pushing" || agent === "pulling")) return "green";
  if (!t.lastSyncAt || now - t.lastSyncAt.getTime() > limits.delayedAfterMs) return "yellow";
  return "green";
}

/** One row of GET /api/terminals (the shared TerminalHealth schema) from the stored terminal. */
export function toTerminalHealth(
  t: TerminalRecord,
  emergencyStop: boolean,
  limits: HealthThresholds = HUB_DEFAULTS,
  now = Date.now(),
): TerminalHealth {
  const hb = t.heartbeat;
  return {
    id: t.id as TerminalId,
    code: t.code,
    ...(t.storeName !== null ? { storeName: t.storeName } : {}),
    name: t.name,
    storeId: t.storeId,
    status: t.status,
    health: terminalHealth(
      { status: t.status, lastSyncAt: t.lastSyncAt, lastHeartbeat: hb, emergencyStop, paused: t.paused },
      now,
      limits,
    ),
    agentStatus: hb?.status ?? null,
    paused: t.paused,
    lastSeenAt: t.lastSeenAt?.toISOString() ?? null,
    lastSyncAt: t.lastSyncAt?.toISOString() ?? null,
    ackedCursor: t.ackedCursor,
    lag: t.lag,
    lagSeconds: Math.round(t.lagSeconds * 10) / 10,
    outbox: outboxTotals(hb),
    lastError: hb?.lastError ?? null,
  };
}
