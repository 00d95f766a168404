import {
  DEFAULT_HEALTH_LIMITS,
  healthColour,
  type StorageReport,
  type SyncTable,
  type TableCounts,
} from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import type { SqliteDb } from "../db/terminal-db";
import { OutboxStore } from "../outbox/outbox-store";
import { describeFeedRecovery, lastFeedRecovery, type FeedRecoveryReport } from "../recovery/feed-recovery";
import { CentralHoldStore, type CentralHold } from "../sync/central-hold";
import { discardedLocalEdits } from "../sync/discard-local-edits";
import { measuredStorage } from "../sync/storage-condition";
import {
  circuitOf,
  reportedStatus,
  INITIAL_STATE,
  type CircuitState,
  type HealthColour,
  type StateKind,
  type SyncState,
} from "../sync/sync-state-machine";

/** What `status` shows, read from the local database only: works with central unreachable. */
export interface AgentStatusReport {
  state: StateKind;
  /**
   * What central said holds sync (emergency stop, its operator's pause of this terminal, or an
   * upgrade it requires),
   * apart from `paused` (this till's own pause): a local resume does not lift it.
   */
  central: CentralHold | null;
  circuit: CircuitState;
  health: HealthColour;
  /** SYNC_ENABLED: false keeps the agent idle (health gray, "sync disabled"). */
  syncEnabled: boolean;
  paused: boolean;
  consecutiveFailures: number;
  /** When the next retry or half-open probe is due (backing-off / circuit-open). */
  retryAt: string | null;
  stateSince: string | null;
  mode: string;
  lastSyncAt: string | null;
  lastError: string | null;
  cursor: string;
  /** The last time central's feed was reset or this cursor expired, and what the agent did. */
  feedRecovery: FeedRecoveryReport | null;
  tables: Partial<Record<SyncTable, TableCounts>>;
  totals: TableCounts;
  /** Whether the till's disk has room for the agent's writes (a full disk holds sync until it has). */
  storage: StorageReport;
  /** Per table, the till's own edits of central-owned rows that pulls put back to central's. */
  localEditsDiscarded: Partial<Record<SyncTable, number>>;
}

/**
 * Derives the status from the engine state the daemon persists on every transition
 * (sync_state 'engine_state') and the persistent pause flag, which wins: a paused terminal
 * stays paused whether or not the daemon runs right now.
 */
export function readAgentStatus(
  db: SqliteDb,
  intervalMs: number,
  now = Date.now(),
  opts: { syncEnabled?: boolean } = {},
): AgentStatusReport {
  const syncEnabled = opts.syncEnabled ?? true;
  const kv = new SyncStateStore(db);
  const stateRow = db.prepare(`SELECT value, updated_at FROM sync_state WHERE key = 'engine_state'`).get() as
    { value: string; updated_at: string } | undefined;
  let state: SyncState = stateRow ? (JSON.parse(stateRow.value) as SyncState) : INITIAL_STATE;
  const paused = kv.get("paused") === "1";
  if (paused && state.kind !== "paused") state = { kind: "paused", failures: state.failures };
  const lastSyncAt = kv.get("last_sync_at") ?? null;
  const tables = new OutboxStore(db).counts();
  const totals: TableCounts = { pending: 0, failed: 0, synced: 0, conflicts: 0 };
  for (const c of Object.values(tables)) {
    totals.pending += c.pending;
    totals.failed += c.failed;
    totals.synced += c.synced;
    totals.conflicts += c.conflicts;
  }
  const central = new CentralHoldStore(db).get();
  // The same rule as central's terminal list (packages/shared); SPEC §4: an emergency stop is
  // red, a pause (here or at central) yellow, whatever the engine itself is doing.
  const health = healthColour(
    {
      disabled: !syncEnabled,
      emergencyStop: central?.kind === "EMERGENCY_STOP",
      upgradeRequired: central?.kind === "UPGRADE_REQUIRED",
      paused: paused || central?.kind === "TERMINAL_PAUSED",
      agentState: reportedStatus(state.kind),
      consecutiveFailures: state.failures,
      failedChanges: totals.failed,
      lastSyncAgeMs: lastSyncAt ? now - Date.parse(lastSyncAt) : null,
      online: true,
    },
    // A till knows its own interval: two missed cycles is late.
    { ...DEFAULT_HEALTH_LIMITS, delayedAfterMs: 2 * intervalMs },
  );
  return {
    state: state.kind,
    central,
    circuit: circuitOf(state),
    health,
    syncEnabled,
    paused,
    consecutiveFailures: state.failures,
    retryAt: "retryAt" in state ? new Date(state.retryAt).toISOString() : null,
    stateSince: stateRow?.updated_at ?? null,
    mode: kv.get("mode") ?? "ONLINE",
    lastSyncAt,
    lastError: lastCycleError(db)?.message ?? null,
    cursor: kv.cursor(),
    feedRecovery: lastFeedRecovery(db),
    tables,
    totals,
    storage: measuredStorage(db.name),
    localEditsDiscarded: discardedLocalEdits(db),
  };
}

/** The error of the latest sync cycle, with when it ended; undefined when that cycle went cleanly. */
export function lastCycleError(db: SqliteDb): { message: string; at: string | null } | undefined {
  const last = db.prepare(`SELECT error, finished_at FROM sync_history ORDER BY id DESC LIMIT 1`).get() as
    { error: string | null; finished_at: string | null } | undefined;
  return last?.error ? { message: last.error, at: last.finished_at } : undefined;
}

function describeCentral(c: CentralHold | null): string {
  if (!c) return "running";
  if (c.kind === "UPGRADE_REQUIRED")
    return `${c.reason ?? "upgrade required"} (since ${c.heardAt}; changes stay in the outbox; sync resumes once upgraded)`;
  const what = c.kind === "EMERGENCY_STOP" ? "emergency stop" : "this terminal is paused at central";
  const who = [c.since && `since ${c.since}`, c.by && `by ${c.by}`].filter(Boolean).join(" ");
  return `${what}${who ? ` ${who}` : ""}${c.reason ? `: ${c.reason}` : ""} (changes stay in the outbox; a local resume cannot lift it, central's resume does)`;
}

function healthNote(s: AgentStatusReport): string {
  if (!s.syncEnabled) return " (sync disabled: SYNC_ENABLED=false)";
  if (s.central?.kind === "EMERGENCY_STOP") return " (emergency stop)";
  if (!s.lastSyncAt && s.health === "gray") return " (never synced)";
  return "";
}

/** "0", or the total and each table's count: a till's edits of central's rows that pulls put back. */
function describeDiscarded(d: Partial<Record<SyncTable, number>>): string {
  const parts = Object.entries(d).map(([t, n]) => `${t} ${n}`);
  const total = Object.values(d).reduce((a, n) => a + n, 0);
  return parts.length === 0 ? "0" : `${total} (${parts.join(", ")})`;
}

/** The human-readable form: one line per fact, then a per-table grid. */
export function formatAgentStatus(s: AgentStatusReport): string {
  const lines = [
    `health:      ${s.health}${healthNote(s)}`,
    `state:       ${s.state}${s.paused ? " (paused by operator; run resume)" : ""}`,
    `central:     ${describeCentral(s.central)}`,
    `circuit:     ${s.circuit}${s.retryAt ? ` (next attempt ${s.retryAt})` : ""}`,
    `failures:    ${s.consecutiveFailures} consecutive`,
    `last sync:   ${s.lastSyncAt ?? "never"}`,
    `last error:  ${s.lastError ?? "none"}`,
    `mode:        ${s.mode}`,
    `storage:     ${s.storage.condition}${s.storage.freeBytes === null ? "" : ` (${Math.floor(s.storage.freeBytes / 1024)} KiB free)`}`,
    ...(s.feedRecovery ? [`recovery:    ${describeFeedRecovery(s.feedRecovery)}`] : []),
    `local edits discarded: ${describeDiscarded(s.localEditsDiscarded)}`,
    "",
    `${"table".padEnd(24)}${"pending".padStart(9)}${"failed".padStart(9)}${"synced".padStart(9)}${"conflicts".padStart(11)}`,
  ];
  const row = (name: string, c: TableCounts) =>
    `${name.padEnd(24)}${String(c.pending).padStart(9)}${String(c.failed).padStart(9)}${String(c.synced).padStart(9)}${String(c.conflicts).padStart(11)}`;
  for (const [t, c] of Object.entries(s.tables)) lines.push(row(t, c));
  lines.push(row("total", s.totals));
  return lines.join("\n");
}
