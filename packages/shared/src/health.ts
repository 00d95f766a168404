import type { HubHealthColour } from "./protocol/hub";
import type { AgentStatus } from "./protocol/heartbeat";

/**
 * The one rule for a terminal's health colour (SPEC §4), used by the agent's `status` and by
 * central's terminal list and console, so a till reads the same colour on both sides. Each
 * side passes what it knows: the agent its own state; central the last heartbeat and whether
 * heartbeats still arrive.
 */
export interface HealthFacts {
  /** Sync switched off: the terminal disabled at central, or SYNC_ENABLED=false on the till. */
  disabled: boolean;
  emergencyStop: boolean;
  /**
   * Central and this till do not share a protocol version (426): nothing syncs until one side
   * is upgraded, which no retry or resume fixes, so it is red like an outage, not a yellow pause.
   */
  upgradeRequired?: boolean;
  /** Paused on the till or by an operator at central. */
  paused: boolean;
  /** The engine state the agent reports, when known. */
  agentState: AgentStatus | null;
  /** Consecutive failed cycles, when known (central only sees the engine state). */
  consecutiveFailures?: number;
  /** Changes parked as FAILED. */
  failedChanges: number;
  /** Milliseconds since the last successful sync; null when the terminal never synced. */
  lastSyncAgeMs: number | null;
  /** Central: heartbeats still arrive (ONLINE). The agent is always there for itself. */
  online: boolean;
  /** A live agent reports itself idle or syncing: it synced, however long ago it last pushed. */
  reportsSyncing?: boolean;
}

export interface HealthLimits {
  /** More FAILED changes than this is red. */
  failedAlert: number;
  /** A last sync older than this is yellow (delayed). */
  delayedAfterMs: number;
}

/** Central's HUB_DEFAULTS carry the same numbers; the agent uses these. */
export const DEFAULT_HEALTH_LIMITS: HealthLimits = { failedAlert: 5, delayedAfterMs: 15 * 60_000 };

/** Consecutive failures from which a terminal counts as failing (red) rather than retrying. */
export const FAILING_AFTER = 3;

/**
 * gray: disabled, or never synced (and not retrying); red: emergency stop, upgrade required, circuit open, 3+
 * failures in a row or too many FAILED changes; yellow: paused, retrying, offline or delayed; green otherwise.
 */
export function healthColour(f: HealthFacts, limits: HealthLimits = DEFAULT_HEALTH_LIMITS): HubHealthColour {
  if (f.disabled) return "gray";
  const failures = f.consecutiveFailures ?? 0;
  if (f.emergencyStop || f.upgradeRequired || f.agentState === "circuit-open" || failures >= FAILING_AFTER)
    return "red";
  if (f.failedChanges > limits.failedAlert) return "red";
  if (f.paused || f.agentState === "paused") return "yellow";
  if (f.agentState === "backing-off" || failures > 0) return "yellow";
  // Nothing wrong reported, but nothing synced yet either: a till still being set up.
  if (f.lastSyncAgeMs === null) return "gray";
  if (!f.online) return "yellow";
  if (f.reportsSyncing) return "green";
  return f.lastSyncAgeMs > limits.delayedAfterMs ? "yellow" : "green";
}
