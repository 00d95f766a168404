/**
 * The sync engine's state machine. Every status the agent reports derives from `state.kind`.
 *
 *                 ┌──────────── PAUSE (from any state but stopped) ──────────► paused
 *                 │                                                             │ RESUME
 *                 ▼                                                             ▼
 *   ┌──► idle ── CYCLE ──► pushing ── PUSHED ──► pulling ── PULLED ──► idle ◄───┘
 *   │     ▲                  │                     │
 *   │     │               FAILED                FAILED
 *   │     │                  ▼                     ▼
 *   │     └── RETRY ── backing-off ◄───────────────┘   (failures < threshold)
 *   │                        │ failures reach threshold
 *   │                        ▼
 *   └──── PULLED ◄──── circuit-open ── RETRY after the cool-down → pushing as a half-open
 *                                       probe; a failing probe re-opens the circuit; a RETRY
 *                                       before the cool-down ends changes nothing
 *
 *   HELD (central answered 423 SYNC_STOPPED, or said sync:pause): idle, pushing, pulling and
 *   backing-off → backing-off until `retryAt`, failures unchanged: central is up and said
 *   "later", so the breaker does not count it. An open circuit, a local pause and stopped stay.
 *
 *   STOP from any state → stopped (final).
 */

export type SyncState =
  | { kind: "idle"; failures: 0 }
  | { kind: "pushing"; failures: number; probe: boolean }
  | { kind: "pulling"; failures: number; probe: boolean }
  | { kind: "backing-off"; failures: number; retryAt: number }
  | { kind: "circuit-open"; failures: number; retryAt: number }
  | { kind: "paused"; failures: number }
  | { kind: "stopped"; failures: number };

export type StateKind = SyncState["kind"];

export type SyncEvent =
  | { type: "CYCLE" }
  | { type: "PUSHED" }
  | { type: "PULLED" }
  | { type: "FAILED"; now: number }
  /** A timer, the interval, a socket trigger or an operator asks to try again at `now`. */
  | { type: "RETRY"; now: number }
  | { type: "PAUSE" }
  | { type: "RESUME" }
  /** Central holds sync (emergency stop or an operator's pause of this terminal): ask again at `retryAt`. */
  | { type: "HELD"; retryAt: number }
  | { type: "STOP" };

export interface MachineOptions {
  /** Consecutive failures that open the circuit (G6: 5). */
  breakerThreshold: number;
  /** How long the circuit stays open before one half-open probe (G6: 5 minutes). */
  breakerCooldownMs: number;
  /** Backoff for failure n: full jitter over min(cap, base·2^n). */
  backoff: (failures: number) => number;
}

export const INITIAL_STATE: SyncState = { kind: "idle", failures: 0 };

/** Pure transition: returns the next state, or the same object when the event does not apply. */
export function transition(s: SyncState, e: SyncEvent, o: MachineOptions): SyncState {
  if (s.kind === "stopped") return s;
  if (e.type === "STOP") return { kind: "stopped", failures: s.failures };
  if (e.type === "PAUSE") return s.kind === "paused" ? s : { kind: "paused", failures: s.failures };
  if (e.type === "HELD")
    return s.kind === "paused" || s.kind === "circuit-open"
      ? s
      : { kind: "backing-off", failures: s.failures, retryAt: e.retryAt };
  switch (s.kind) {
    case "paused":
      return e.type === "RESUME" ? INITIAL_STATE : s;
    case "idle":
      return e.type === "CYCLE" ? { kind: "pushing", failures: 0, probe: false } : s;
    case "pushing":
      if (e.type === "PUSHED") return { kind: "pulling", failures: s.failures, probe: s.probe };
      if (e.type === "FAILED") return failed(s, e.now, o);
      return s;
    case "pulling":
      if (e.type === "PULLED") return INITIAL_STATE;
      if (e.type === "FAILED") return failed(s, e.now, o);
      return s;
    case "backing-off":
      return e.type === "RETRY" ? { kind: "pushing", failures: s.failures, probe: false } : s;
    case "circuit-open":
      // The circuit stays open for the whole cool-down, whoever asks: a socket trigger or
      // the interval must not turn into a stream of probes against a central that is down.
      return e.type === "RETRY" && e.now >= s.retryAt ? { kind: "pushing", failures: s.failures, probe: true } : s;
  }
}

function failed(s: { failures: number; probe: boolean }, now: number, o: MachineOptions): SyncState {
  const failures = s.failures + 1;
  if (s.probe || failures >= o.breakerThreshold) {
    return { kind: "circuit-open", failures, retryAt: now + o.breakerCooldownMs };
  }
  return { kind: "backing-off", failures, retryAt: now + o.backoff(failures) };
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base·2^n)]. */
export function fullJitterBackoff(baseMs: number, capMs: number, random: () => number = Math.random) {
  return (failures: number) => Math.floor(random() * Math.min(capMs, baseMs * 2 ** failures));
}

export type CircuitState = "closed" | "open" | "half-open";

/** The breaker as an operator sees it: half-open while the one probe after the cool-down runs. */
export function circuitOf(s: SyncState): CircuitState {
  if (s.kind === "circuit-open") return "open";
  if ((s.kind === "pushing" || s.kind === "pulling") && s.probe) return "half-open";
  return "closed";
}

export type HealthColour = "green" | "yellow" | "red" | "gray";

/** The colour an operator sees, derived from the state (SPEC §4). */
export function healthOf(s: SyncState, lastSyncAgeMs: number | undefined, intervalMs: number): HealthColour {
  if (s.kind === "paused") return "yellow";
  // Failing: the circuit is open, or a retry / half-open probe is running after 3+ failures.
  if (s.kind === "circuit-open" || s.failures >= 3) return "red";
  if (s.failures > 0) return "yellow";
  if (lastSyncAgeMs === undefined) return "gray";
  return lastSyncAgeMs <= 2 * intervalMs ? "green" : "yellow";
}
