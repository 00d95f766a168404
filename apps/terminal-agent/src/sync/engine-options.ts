/**
 * What the sync engine runs with and what each of its cycles reports: the options' owner, apart
 * from the engine (sync-engine.ts) so the daemon, the CLI and the status server import these
 * without the engine.
 */
import type { StateKind, MachineOptions } from "./sync-state-machine";
import type { RejectRetry } from "../outbox/outbox-store";
import type { FeedRecoveryReport } from "../recovery/feed-recovery";

/** What the engine runs with; `engineOptionsFromConfig` (daemon/) fills it from the parsed config. */
export interface EngineOptions {
  batchSize: number;
  intervalMs: number;
  /** Rows per pull page (SYNC_PULL_PAGE_SIZE). */
  pullLimit: number;
  /**
   * How often the engine looks for new CRITICAL rows written by the till (SYNC_WATCH_MS). The
   * poll is one PRAGMA that reads a counter; it is the floor of the write → central latency.
   */
  watchMs: number;
  machine: MachineOptions;
  /** When a change central rejected is tried again, and how often before it parks as FAILED. */
  rejectRetry: RejectRetry;
  /**
   * How long to wait before asking again when central said sync:pause without saying when
   * (a 423 carries its own retryAfterSeconds). Default HELD_RETRY_MS.
   */
  heldRetryMs?: number;
  /** How long to wait before trying again after the till's disk refused a write (default STORAGE_RETRY_MS). */
  storageRetryMs?: number;
  /**
   * Daemon mode: how long one cycle pushes before it pulls (default PUSH_SLICE_MS). The next
   * cycle starts right after, so a long push loses no time; without a bound, a till selling
   * without pause, or a large backlog, would never pull a price change.
   */
  pushSliceMs?: number;
  /**
   * Write every state to sync_state 'engine_state', where `status` reads it (default true).
   * One-shot CLI commands turn it off so they never overwrite a running daemon's state.
   */
  persistState?: boolean;
}

export interface CycleReport {
  pushed: number;
  conflicts: number;
  failed: number;
  pulled: number;
  error?: string;
  /** Set when no cycle ran: the engine was paused, stopped or inside the breaker's cool-down. */
  skipped?: StateKind;
  /**
   * Set when central answered 423 SYNC_STOPPED or 426 UPGRADE_REQUIRED: nothing moved, every
   * change stays in the outbox.
   */
  held?: boolean;
  /** Set when the till's disk refused one of the agent's writes: retried after storageRetryMs. */
  storageFull?: boolean;
  /** The cycle's sync_history row (what `history` lists), and how long it took; unset when skipped. */
  cycleId?: number;
  durationMs?: number;
  /** Set when the pull found central's feed reset or this cursor expired, and the agent recovered. */
  recovery?: FeedRecoveryReport;
}

/** How long a daemon's cycle pushes before it pulls; the push goes on in the next cycle. */
export const PUSH_SLICE_MS = 2_000;

/** Wait before asking a central that holds sync again, when it did not say how long. */
export const HELD_RETRY_MS = 30_000;
/**
 * Wait before trying again after the till's disk refused a write: space often returns soon (a
 * log rotated, a file deleted) and nothing announces it, so the engine looks again every two
 * seconds; a try on a still-full disk is one small failed write.
 */
export const STORAGE_RETRY_MS = 2_000;
