import {
  circuitOf,
  fullJitterBackoff,
  healthOf,
  INITIAL_STATE,
  reportedStatus,
  transition,
  type MachineOptions,
  type StateKind,
  type SyncEvent,
  type SyncState,
} from "../src/sync/sync-state-machine";

const opts: MachineOptions = {
  breakerThreshold: 5,
  breakerWindowMs: 30_000,
  breakerFirstCooldownMs: 10_000,
  breakerCooldownMs: 300_000,
  backoff: () => 1_000,
};
const NOW = 500;

/** One representative state per kind; timed states are still cooling down at NOW. */
const states: Record<StateKind, SyncState> = {
  idle: INITIAL_STATE,
  pushing: { kind: "pushing", failures: 1, probe: false },
  pulling: { kind: "pulling", failures: 1, probe: false },
  "pulling-with-sales": { kind: "pulling-with-sales", failures: 1, probe: false },
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
  SALES: { type: "SALES" },
  SALES_PUSHED: { type: "SALES_PUSHED" },
  FAILED: { type: "FAILED", now: NOW },
  RETRY: { type: "RETRY", now: NOW },
  CENTRAL_BACK: { type: "CENTRAL_BACK" },
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
    SALES: "idle",
    SALES_PUSHED: "idle",
    FAILED: "idle",
    RETRY: "idle",
    CENTRAL_BACK: "idle",
    PAUSE: "paused",
    RESUME: "idle",
    HELD: "backing-off",
    STOP: "stopped",
  },
  pushing: {
    CYCLE: "pushing",
    PUSHED: "pulling",
    PULLED: "pushing",
    SALES: "pushing",
    SALES_PUSHED: "pushing",
    FAILED: "backing-off",
    RETRY: "pushing",
    CENTRAL_BACK: "pushing",
    PAUSE: "paused",
    RESUME: "pushing",
    HELD: "backing-off",
    STOP: "stopped",
  },
  pulling: {
    CYCLE: "pulling",
    PUSHED: "pulling",
    PULLED: "idle",
    SALES: "pulling-with-sales",
    SALES_PUSHED: "pulling",
    FAILED: "backing-off",
    RETRY: "pulling",
    CENTRAL_BACK: "pulling",
    PAUSE: "paused",
    RESUME: "pulling",
    HELD: "backing-off",
    STOP: "stopped",
  },
  "pulling-with-sales": {
    CYCLE: "pulling-with-sales",
    PUSHED: "pulling-with-sales",
    PULLED: "pulling-with-sales",
    SALES: "pulling-with-sales",
    SALES_PUSHED: "pulling",
    FAILED: "backing-off",
    RETRY: "pulling-with-sales",
    CENTRAL_BACK: "pulling-with-sales",
    PAUSE: "paused",
    RESUME: "pulling-with-sales",
    HELD: "backing-off",
    STOP: "stopped",
  },
  "backing-off": {
    CYCLE: "backing-off",
    PUSHED: "backing-off",
    PULLED: "backing-off",
    SALES: "backing-off",
    SALES_PUSHED: "backing-off",
    FAILED: "backing-off",
    RETRY: "pushing",
    CENTRAL_BACK: "pushing",
    PAUSE: "paused",
    RESUME: "backing-off",
    HELD: "backing-off",
    STOP: "stopped",
  },
  "circuit-open": {
    CYCLE: "circuit-open",
    PUSHED: "circuit-open",
    PULLED: "circuit-open",
    SALES: "circuit-open",
    SALES_PUSHED: "circuit-open",
    FAILED: "circuit-open",
    RETRY: "circuit-open",
    CENTRAL_BACK: "pushing",
    PAUSE: "paused",
    RESUME: "circuit-open",
    HELD: "circuit-open",
    STOP: "stopped",
  },
  paused: {
    CYCLE: "paused",
    PUSHED: "paused",
    PULLED: "paused",
    SALES: "paused",
    SALES_PUSHED: "paused",
    FAILED: "paused",
    RETRY: "paused",
    CENTRAL_BACK: "paused",
    PAUSE: "paused",
    RESUME: "idle",
    HELD: "paused",
    STOP: "stopped",
  },
  stopped: {
    CYCLE: "stopped",
    PUSHED: "stopped",
    PULLED: "stopped",
    SALES: "stopped",
    SALES_PUSHED: "stopped",
    FAILED: "stopped",
    RETRY: "stopped",
    CENTRAL_BACK: "stopped",
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

  /** One failed attempt at `now` from a waiting (or idle) state. */
  const failAt = (s: SyncState, now: number): SyncState => {
    const running = transition(s, s.kind === "idle" ? events.CYCLE : { type: "RETRY", now }, opts);
    return transition(running, { type: "FAILED", now }, opts);
  };

  it("never opens the circuit during an outage shorter than the window, however many attempts fail", () => {
    let s: SyncState = INITIAL_STATE;
    for (let now = 1_000; now < 1_000 + 30_000; now += 500) s = failAt(s, now);
    expect(s.kind).toBe("backing-off");
    expect(s.failures).toBe(60);
    expect(circuitOf(s)).toBe("closed");
  });

  it("opens once failures have gone on for the window, probes after a cool-down growing from 10 s to the 5-minute cap", () => {
    let s: SyncState = INITIAL_STATE;
    for (const now of [0, 1_000, 3_000, 7_000, 15_000]) s = failAt(s, now);
    expect(s.kind).toBe("backing-off"); // five failures, but only 15 s of outage
    s = failAt(s, 30_000);
    expect(s).toEqual({ kind: "circuit-open", failures: 6, retryAt: 40_000, streak: { since: 0, opens: 1 } });
    expect(circuitOf(s)).toBe("open");
    expect(transition(s, { type: "RETRY", now: 39_999 }, opts)).toBe(s);
    let now = 40_000;
    const coolDowns: number[] = [];
    for (let i = 0; i < 7; i++) {
      const probe = transition(s, { type: "RETRY", now }, opts);
      expect(probe).toMatchObject({ kind: "pushing", probe: true });
      expect(circuitOf(probe)).toBe("half-open");
      s = transition(probe, { type: "FAILED", now }, opts);
      expect(s.kind).toBe("circuit-open");
      const retryAt = (s as { retryAt: number }).retryAt;
      coolDowns.push(retryAt - now);
      now = retryAt;
    }
    expect(coolDowns).toEqual([20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it("keeps a half-open probe through a sales push beside the pull; a failure there re-opens the circuit", () => {
    const probe: SyncState = { kind: "pulling", failures: 6, probe: true, streak: { since: 0, opens: 1 } };
    const selling = transition(probe, events.SALES, opts);
    expect(selling).toEqual({ ...probe, kind: "pulling-with-sales" });
    expect(circuitOf(selling)).toBe("half-open");
    expect(transition(selling, events.SALES_PUSHED, opts)).toEqual(probe);
    expect(transition(selling, { type: "FAILED", now: 100 }, opts)).toMatchObject({
      kind: "circuit-open",
      failures: 7,
    });
  });

  it("reports a sales push beside the pull as pushing: the protocol's states stay those older centrals know", () => {
    expect(reportedStatus("pulling-with-sales")).toBe("pushing");
    for (const k of Object.keys(states) as StateKind[])
      if (k !== "pulling-with-sales") expect(reportedStatus(k)).toBe(k);
    expect(healthOf(states["pulling-with-sales"], 0, 1_000)).toBe("yellow"); // one failure behind it, as pulling
  });

  it("ends an open circuit's cool-down at once when central is back (half-open probe), and a backoff too", () => {
    const open: SyncState = { kind: "circuit-open", failures: 9, retryAt: 10_000_000, streak: { since: 0, opens: 3 } };
    const probe = transition(open, events.CENTRAL_BACK, opts);
    expect(probe).toEqual({ kind: "pushing", failures: 9, probe: true, streak: { since: 0, opens: 3 } });
    expect(circuitOf(probe)).toBe("half-open");
    // The probe succeeds: closed, and the next outage starts a new window and a short cool-down.
    const closed = transition(transition(probe, events.PUSHED, opts), events.PULLED, opts);
    expect(closed).toBe(INITIAL_STATE);
    expect(failAt(closed, 50_000)).toMatchObject({ kind: "backing-off", streak: { since: 50_000, opens: 0 } });
    // Central back while it fails again: the probe re-opens the circuit with the next cool-down.
    expect(transition(probe, { type: "FAILED", now: 100 }, opts)).toEqual({
      kind: "circuit-open",
      failures: 10,
      retryAt: 100 + 80_000,
      streak: { since: 0, opens: 4 },
    });
    const backingOff: SyncState = { kind: "backing-off", failures: 4, retryAt: 60_000, streak: { since: 0, opens: 0 } };
    expect(transition(backingOff, events.CENTRAL_BACK, opts)).toEqual({
      kind: "pushing",
      failures: 4,
      probe: false,
      streak: { since: 0, opens: 0 },
    });
  });

  it("a probe that fails while pulling re-opens the circuit too", () => {
    const pulling = transition({ kind: "pushing", failures: 5, probe: true }, events.PUSHED, opts);
    expect(pulling).toMatchObject({ kind: "pulling", failures: 5, probe: true });
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
