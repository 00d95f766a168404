import {
  circuitOf,
  fullJitterBackoff,
  healthOf,
  INITIAL_STATE,
  transition,
  type MachineOptions,
  type StateKind,
  type SyncEvent,
  type SyncState,
} from "../src/sync/sync-state-machine";

const opts: MachineOptions = { breakerThreshold: 5, breakerCooldownMs: 300_000, backoff: () => 1_000 };
const NOW = 500;

/** One representative state per kind; timed states are still cooling down at NOW. */
const states: Record<StateKind, SyncState> = {
  idle: INITIAL_STATE,
  pushing: { kind: "pushing", failures: 1, probe: false },
  pulling: { kind: "pulling", failures: 1, probe: false },
  "backing-off": { kind: "backing-off", failures: 1, retryAt: NOW + 1_000 },
  "circuit-open": { kind: "circuit-open", failures: 5, retryAt: NOW + 1_000 },
  paused: { kind: "paused", failures: 0 },
  stopped: { kind: "stopped", failures: 0 },
};

type EventType = SyncEvent["type"];
const events: Record<EventType, SyncEvent> = {
  CYCLE: { type: "CYCLE" },
  PUSHED: { type: "PUSHED" },
  PULLED: { type: "PULLED" },
  FAILED: { type: "FAILED", now: NOW },
  RETRY: { type: "RETRY", now: NOW },
  PAUSE: { type: "PAUSE" },
  RESUME: { type: "RESUME" },
  HELD: { type: "HELD", retryAt: NOW + 30_000 },
  STOP: { type: "STOP" },
};

/** Every cell: the compiler rejects a missing state or event, so a new one must be decided here. */
const table: Record<StateKind, Record<EventType, StateKind>> = {
  idle: {
    CYCLE: "pushing",
    PUSHED: "idle",
    PULLED: "idle",
    FAILED: "idle",
    RETRY: "idle",
    PAUSE: "paused",
    RESUME: "idle",
    HELD: "backing-off",
    STOP: "stopped",
  },
  pushing: {
    CYCLE: "pushing",
    PUSHED: "pulling",
    PULLED: "pushing",
    FAILED: "backing-off",
    RETRY: "pushing",
    PAUSE: "paused",
    RESUME: "pushing",
    HELD: "backing-off",
    STOP: "stopped",
  },
  pulling: {
    CYCLE: "pulling",
    PUSHED: "pulling",
    PULLED: "idle",
    FAILED: "backing-off",
    RETRY: "pulling",
    PAUSE: "paused",
    RESUME: "pulling",
    HELD: "backing-off",
    STOP: "stopped",
  },
  "backing-off": {
    CYCLE: "backing-off",
    PUSHED: "backing-off",
    PULLED: "backing-off",
    FAILED: "backing-off",
    RETRY: "pushing",
    PAUSE: "paused",
    RESUME: "backing-off",
    HELD: "backing-off",
    STOP: "stopped",
  },
  "circuit-open": {
    CYCLE: "circuit-open",
    PUSHED: "circuit-open",
    PULLED: "circuit-open",
    FAILED: "circuit-open",
    RETRY: "circuit-open",
    PAUSE: "paused",
    RESUME: "circuit-open",
    HELD: "circuit-open",
    STOP: "stopped",
  },
  paused: {
    CYCLE: "paused",
    PUSHED: "paused",
    PULLED: "paused",
    FAILED: "paused",
    RETRY: "paused",
    PAUSE: "paused",
    RESUME: "idle",
    HELD: "paused",
    STOP: "stopped",
  },
  stopped: {
    CYCLE: "stopped",
    PUSHED: "stopped",
    PULLED: "stopped",
    FAILED: "stopped",
    RETRY: "stopped",
    PAUSE: "stopped",
    RESUME: "stopped",
    HELD: "stopped",
    STOP: "stopped",
  },
};

const cells = (Object.keys(table) as StateKind[]).flatMap((s) =>
  (Object.keys(table[s]) as EventType[]).map((e) => [s, e, table[s][e]] as const),
);

describe("sync state machine", () => {
  it.each(cells)("%s + %s → %s", (s, e, expected) => {
    const before = states[s];
    const after = transition(before, events[e], opts);
    expect(after.kind).toBe(expected);
    // An event that does not apply returns the very same object: the engine persists nothing.
    // (backing-off + HELD is a new wait, not the same state.)
    if (expected === s && !(s === "pushing" && e === "FAILED") && !(s === "backing-off" && e === "HELD"))
      expect(after).toBe(before);
  });

  it("holds without counting a failure when central says sync is stopped, and retries at its time", () => {
    const held = transition({ kind: "pushing", failures: 2, probe: false }, { type: "HELD", retryAt: 9_000 }, opts);
    expect(held).toEqual({ kind: "backing-off", failures: 2, retryAt: 9_000 });
    expect(transition(held, { type: "RETRY", now: 9_000 }, opts).kind).toBe("pushing");
  });

  it("opens the circuit on the 5th consecutive failure, then allows one half-open probe after the cool-down", () => {
    let s: SyncState = INITIAL_STATE;
    for (let i = 1; i <= 5; i++) {
      s = transition(s, s.kind === "idle" ? events.CYCLE : { type: "RETRY", now: 10_000 * i }, opts);
      expect(s.kind).toBe("pushing");
      s = transition(s, { type: "FAILED", now: 10_000 * i }, opts);
      expect(s.kind).toBe(i < 5 ? "backing-off" : "circuit-open");
    }
    expect(s).toEqual({ kind: "circuit-open", failures: 5, retryAt: 50_000 + 300_000 });
    expect(circuitOf(s)).toBe("open");
    expect(transition(s, { type: "RETRY", now: 349_999 }, opts)).toBe(s);
    const probe = transition(s, { type: "RETRY", now: 350_000 }, opts);
    expect(probe).toEqual({ kind: "pushing", failures: 5, probe: true });
    expect(circuitOf(probe)).toBe("half-open");

    const reopened = transition(probe, { type: "FAILED", now: 400_000 }, opts);
    expect(reopened).toEqual({ kind: "circuit-open", failures: 6, retryAt: 700_000 });

    const closed = transition(transition(probe, events.PUSHED, opts), events.PULLED, opts);
    expect(closed).toEqual(INITIAL_STATE);
    expect(circuitOf(closed)).toBe("closed");
  });

  it("a probe that fails while pulling re-opens the circuit too", () => {
    const pulling = transition({ kind: "pushing", failures: 5, probe: true }, events.PUSHED, opts);
    expect(pulling).toEqual({ kind: "pulling", failures: 5, probe: true });
    expect(transition(pulling, { type: "FAILED", now: 0 }, opts).kind).toBe("circuit-open");
  });

  it("backs off with full jitter, exponential and capped", () => {
    expect(fullJitterBackoff(1_000, 60_000, () => 0.999999)(1)).toBe(1_999);
    expect(fullJitterBackoff(1_000, 60_000, () => 0.5)(3)).toBe(4_000);
    expect(fullJitterBackoff(1_000, 60_000, () => 0.999999)(20)).toBe(59_999);
    expect(fullJitterBackoff(1_000, 60_000, () => 0)(4)).toBe(0);
  });

  it("derives the health colour from the state", () => {
    const interval = 300_000;
    expect(healthOf(states["circuit-open"], 0, interval)).toBe("red");
    expect(healthOf({ kind: "backing-off", failures: 3, retryAt: 0 }, 0, interval)).toBe("red");
    expect(healthOf(states["backing-off"], 0, interval)).toBe("yellow");
    expect(healthOf({ kind: "pushing", failures: 5, probe: true }, 0, interval)).toBe("red");
    expect(healthOf({ kind: "pulling", failures: 1, probe: false }, 0, interval)).toBe("yellow");
    expect(healthOf(states.paused, 0, interval)).toBe("yellow");
    expect(healthOf(INITIAL_STATE, 1_000, interval)).toBe("green");
    expect(healthOf(INITIAL_STATE, 3 * interval, interval)).toBe("yellow");
    expect(healthOf(INITIAL_STATE, undefined, interval)).toBe("gray");
  });
});
