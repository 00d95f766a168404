import { DEFAULT_HEALTH_LIMITS, healthColour, type AgentStatus, type HubHealthColour } from "@tillsync/shared";

/**
 * The sync engine's state machine. Every status the agent reports derives from `state.kind`.
 *
 *                 ┌──────────── PAUSE (from any state but stopped) ──────────► paused
 *                 │                                                             │ RESUME
 *                 ▼                                                             ▼
 *   ┌──► idle ── CYCLE ──► pushing ── PUSHED ──► pulling ── PULLED ──► idle ◄───┘
 *   │     ▲                  │                 ▲   │ SALES
 *   │     │                  │     SALES_PUSHED │   ▼
 *   │     │                  │            pulling-with-sales ── FAILED ──┐
 *   │     │               FAILED                FAILED                  │
 *   │     │                  ▼                     ▼
 *   │     └── RETRY ── backing-off ◄───────────────┴───────────────────┘   (a short outage: see below)
 *   │        CENTRAL_BACK    │ failing for breakerWindowMs with breakerThreshold failures
 *   │                        ▼
 *   └──── PULLED ◄──── circuit-open ── RETRY after the cool-down, or CENTRAL_BACK at once,
 *                                       → pushing as a half-open probe; a failing probe
 *                                       re-opens the circuit with a doubled cool-down; a
 *                                       RETRY before the cool-down ends changes nothing
 *
 *   pulling-with-sales: a CRITICAL push runs beside the cycle's pull (sync/sales-lane.ts), so a
 *   sale committed while a long pull runs (its own echo, a 50k-row price list) does not wait
 *   for it; SALES_PUSHED when that push has nothing left and every answer is recorded. The
 *   cycle's PULLED comes only after it (the engine closes the lane first), so it is not a
 *   transition of this state. Central and `status` hear it as "pushing" (reportedStatus).
 *
 *   The breaker counts an outage, not attempts: it opens only once failures have gone on for
 *   `breakerWindowMs` (and number at least `breakerThreshold`), so a routine central restart
 *   never opens it. Its cool-down starts at `breakerFirstCooldownMs` and doubles per re-open
 *   up to `breakerCooldownMs` (G6: 5 minutes). The cool-down protects a central that still
 *   fails; evidence that central answers again (CENTRAL_BACK: the socket reconnected, a
 *   sync:trigger arrived, a heartbeat got through after failing) ends the wait at once (G9).
 *
 *   HELD (central answered 423 SYNC_STOPPED, or said sync:pause; or the till's disk refused one
 *   of the agent's writes): idle, pushing, pulling (with sales or not) and backing-off →
 *   backing-off until `retryAt`, failures unchanged: central is up and said "later" (or is not
 *   at fault), so the breaker does not count it. An open circuit, a local pause and stopped stay.
 *
 *   STOP from any state → stopped (final).
 */

/** An outage as the breaker sees it: when its first failure was, and how often the circuit opened since. */
export interface FailureStreak {
  since: number;
  opens: number;
}

export type SyncState =
  | { kind: "idle"; failures: 0 }
  | { kind: "pushing"; failures: number; probe: boolean; streak?: FailureStreak }
  | { kind: "pulling"; failures: number; probe: boolean; streak?: FailureStreak }
  | { kind: "pulling-with-sales"; failures: number; probe: boolean; streak?: FailureStreak }
  | { kind: "backing-off"; failures: number; retryAt: number; streak?: FailureStreak }
  | { kind: "circuit-open"; failures: number; retryAt: number; streak?: FailureStreak }
  | { kind: "paused"; failures: number }
  | { kind: "stopped"; failures: number };

export type StateKind = SyncState["kind"];

export type SyncEvent =
  | { type: "CYCLE" }
  | { type: "PUSHED" }
  | { type: "PULLED" }
  /** A CRITICAL change waits while the cycle pulls: push it beside the pull. */
  | { type: "SALES" }
  /** The push beside the pull has nothing left to send, and every answer is recorded. */
  | { type: "SALES_PUSHED" }
  | { type: "FAILED"; now: number }
  /** A timer, the interval, a socket trigger or an operator asks to try again at `now`. */
  | { type: "RETRY"; now: number }
  /** Central answers again (socket reconnected, a trigger, a heartbeat got through): try now. */
  | { type: "CENTRAL_BACK" }
  | { type: "PAUSE" }
  | { type: "RESUME" }
  /** Central holds sync (emergency stop or an operator's pause of this terminal): ask again at `retryAt`. */
  | { type: "HELD"; retryAt: number }
  | { type: "STOP" };

export interface MachineOptions {
  /** Failures an outage needs before the circuit opens (G6: 5). */
  breakerThreshold: number;
  /** How long failures must have gone on before the circuit opens: a shorter outage never opens it. */
  breakerWindowMs: number;
  /** The first cool-down of an open circuit; each re-open doubles it. */
  breakerFirstCooldownMs: number;
  /** The longest cool-down before a half-open probe (G6: 5 minutes). */
  breakerCooldownMs: number;
  /** Backoff for failure n: full jitter over min(cap, base·2^n). */
  backoff: (failures: number) => number;
}

/** The breaker's defaults beside SYNC_BREAKER_THRESHOLD and SYNC_BREAKER_COOLDOWN_MS (the cap). */
export const BREAKER_DEFAULTS = {
  /** Longer than a routine central restart or a compose start order. */
  windowMs: 30_000,
  firstCooldownMs: 10_000,
} as const;

export const INITIAL_STATE: SyncState = { kind: "idle", failures: 0 };

/** Pure transition: returns the next state, or the same object when the event does not apply. */
export function transition(s: SyncState, e: SyncEvent, o: MachineOptions): SyncState {
  if (s.kind === "stopped") return s;
  if (e.type === "STOP") return { kind: "stopped", failures: s.failures };
  if (e.type === "PAUSE") return s.kind === "paused" ? s : { kind: "paused", failures: s.failures };
  if (e.type === "HELD")
    return s.kind === "paused" || s.kind === "circuit-open"
      ? s
      : { kind: "backing-off", failures: s.failures, retryAt: e.retryAt, ...streakOf(s) };
  switch (s.kind) {
    case "paused":
      return e.type === "RESUME" ? INITIAL_STATE : s;
    case "idle":
      return e.type === "CYCLE" ? { kind: "pushing", failures: 0, probe: false } : s;
    case "pushing":
      if (e.type === "PUSHED") return { ...s, kind: "pulling" };
      if (e.type === "FAILED") return failed(s, e.now, o);
      return s;
    case "pulling":
      if (e.type === "PULLED") return INITIAL_STATE;
      if (e.type === "SALES") return { ...s, kind: "pulling-with-sales" };
      if (e.type === "FAILED") return failed(s, e.now, o);
      return s;
    case "pulling-with-sales":
      if (e.type === "SALES_PUSHED") return { ...s, kind: "pulling" };
      if (e.type === "FAILED") return failed(s, e.now, o);
      return s;
    case "backing-off":
      return e.type === "RETRY" || e.type === "CENTRAL_BACK"
        ? { kind: "pushing", failures: s.failures, probe: false, ...streakOf(s) }
        : s;
    case "circuit-open":
      // The circuit stays open for the whole cool-down against the interval or a timer: they
      // must not turn into a stream of probes against a central that is down. Evidence that
      // central answers is different: one probe goes at once.
      return (e.type === "RETRY" && e.now >= s.retryAt) || e.type === "CENTRAL_BACK"
        ? { kind: "pushing", failures: s.failures, probe: true, ...streakOf(s) }
        : s;
  }
}

function streakOf(s: SyncState): { streak?: FailureStreak } {
  return "streak" in s && s.streak ? { streak: s.streak } : {};
}

function failed(
  s: { failures: number; probe: boolean; streak?: FailureStreak },
  now: number,
  o: MachineOptions,
): SyncState {
  const failures = s.failures + 1;
  const since = s.streak?.since ?? now;
  const opens = s.streak?.opens ?? 0;
  if (s.probe || (failures >= o.breakerThreshold && now - since >= o.breakerWindowMs)) {
    const coolDown = Math.min(o.breakerCooldownMs, o.breakerFirstCooldownMs * 2 ** opens);
    return { kind: "circuit-open", failures, retryAt: now + coolDown, streak: { since, opens: opens + 1 } };
  }
  return { kind: "backing-off", failures, retryAt: now + o.backoff(failures), streak: { since, opens } };
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base·2^n)]. */
export function fullJitterBackoff(baseMs: number, capMs: number, random: () => number = Math.random) {
  return (failures: number) => Math.floor(random() * Math.min(capMs, baseMs * 2 ** failures));
}

export type CircuitState = "closed" | "open" | "half-open";

/** The breaker as an operator sees it: half-open while the one probe after the cool-down runs. */
export function circuitOf(s: SyncState): CircuitState {
  if (s.kind === "circuit-open") return "open";
  if ((s.kind === "pushing" || s.kind === "pulling" || s.kind === "pulling-with-sales") && s.probe) return "half-open";
  return "closed";
}

/**
 * The state as the protocol names it (heartbeats, `status`): pulling-with-sales is new to this
 * agent and reads as "pushing", which it is; a central that does not know the state still
 * accepts the heartbeat.
 */
export function reportedStatus(kind: StateKind): AgentStatus {
  return kind === "pulling-with-sales" ? "pushing" : kind;
}

export type HealthColour = HubHealthColour;

/**
 * The colour of the engine state alone, by the shared rule (`healthColour`): no pause or stop
 * from central, no FAILED changes, late after two missed intervals.
 */
export function healthOf(s: SyncState, lastSyncAgeMs: number | undefined, intervalMs: number): HealthColour {
  return healthColour(
    {
      disabled: false,
      emergencyStop: false,
      paused: false,
      agentState: reportedStatus(s.kind),
      consecutiveFailures: s.failures,
      failedChanges: 0,
      lastSyncAgeMs: lastSyncAgeMs ?? null,
      online: true,
    },
    { ...DEFAULT_HEALTH_LIMITS, delayedAfterMs: 2 * intervalMs },
  );
}
