import {
  healthColour,
  type HubHealthColour,
  type TerminalHealth,
  type TerminalId,
  type TerminalStatus,
} from "@tillsync/shared";
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
  /** Where its acknowledged pulls reached, and when it was last heard from. */
  ackedCursor?: string;
  lastSeenAt?: Date | null;
}

/** When the terminal last synced as far as central can tell; null when it never did. */
function lastSyncedAt(t: TerminalHealthInput): number | null {
  const times = [
    t.lastSyncAt?.getTime(),
    t.lastHeartbeat?.lastSyncAt ? Date.parse(t.lastHeartbeat.lastSyncAt) : undefined,
  ];
  // A till with nothing to push still syncs by pulling: an acknowledged cursor counts, as of
  // when central last heard from it.
  if (t.ackedCursor && t.ackedCursor !== "0") times.push(t.lastSeenAt?.getTime());
  const known = times.filter((x): x is number => x !== undefined);
  return known.length ? Math.max(...known) : null;
}

export type HealthThresholds = Pick<HubTunables, "backlogAlertFailed" | "delayedAfterMs">;

/**
 * The health colour of SPEC §4, by the rule the agent's `status` uses too (`healthColour` in
 * packages/shared): central knows the terminal's record and its last heartbeat.
 */
export function terminalHealth(
  t: TerminalHealthInput,
  now = Date.now(),
  limits: HealthThresholds = HUB_DEFAULTS,
): HubHealthColour {
  const agent = t.lastHeartbeat?.status ?? null;
  const synced = lastSyncedAt(t);
  return healthColour(
    {
      disabled: t.status === "DISABLED",
      emergencyStop: t.emergencyStop,
      upgradeRequired: t.lastHeartbeat?.lastError?.code === "UPGRADE_REQUIRED",
      paused: t.paused === true,
      agentState: agent,
      failedChanges: outboxTotals(t.lastHeartbeat).failed,
      lastSyncAgeMs: synced === null ? null : now - synced,
      online: t.status === "ONLINE",
      reportsSyncing: t.status === "ONLINE" && (agent === "idle" || agent === "pushing" || agent === "pulling"),
    },
    { failedAlert: limits.backlogAlertFailed, delayedAfterMs: limits.delayedAfterMs },
  );
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
      {
        status: t.status,
        lastSyncAt: t.lastSyncAt,
        lastHeartbeat: hb,
        emergencyStop,
        paused: t.paused,
        ackedCursor: t.ackedCursor,
        lastSeenAt: t.lastSeenAt,
      },
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
    circuit: hb?.circuit ?? null,
  };
}
