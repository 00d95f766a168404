import type { StateKind, SyncState } from "./sync-state-machine";

/**
 * How long a cycle's own states (pushing, pulling, pulling-with-sales) wait before they are
 * written for `status`. A triggered cycle on an online till lasts milliseconds, and writing
 * idle → pushing → pulling → idle was three commits of the till's file per cycle (a tenth of a
 * DATA_CHANGED cycle's CPU, bench/fan-out) for states no reader could catch; a cycle still in
 * one after this long is shown, and every state outside a cycle is written at once. As long as
 * a daemon's push slice (PUSH_SLICE_MS): a backlog's cycles, which push for that long, show as
 * pushing; a cycle that is only slow to be scheduled (a fan-out's thousand tills on one host,
 * a busy till) does not add two writes to the load that slows it.
 */
export const CYCLE_STATE_WRITE_DELAY_MS = 2_000;

/** The states a cycle passes through, written late (CYCLE_STATE_WRITE_DELAY_MS). */
const IN_CYCLE: ReadonlySet<StateKind> = new Set(["pushing", "pulling", "pulling-with-sales"]);

/**
 * Writes the engine's state where `status` reads it (sync_state 'engine_state'), only when it
 * differs from the one written last: a clean cycle after a clean cycle ends idle as it began
 * and writes nothing. Heartbeats and the socket link read the engine's state in memory, and a
 * restarted daemon writes its own state at once (its first `write`), so neither loses anything.
 */
export class EngineStateWriter {
  /** The value last written; undefined until the first write, which always goes through. */
  private written: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** `write` stores the value and says whether the till's disk took it (false: try again next time). */
  constructor(private readonly write: (value: string) => boolean) {}

  /** The engine entered `state`; `current` reads its state when a late write comes due. */
  entered(state: SyncState, current: () => SyncState): void {
    if (!IN_CYCLE.has(state.kind)) return this.now(state);
    if (this.timer) return; // the cycle's first in-cycle state started the clock
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const s = current();
      if (IN_CYCLE.has(s.kind)) this.now(s);
    }, CYCLE_STATE_WRITE_DELAY_MS);
    this.timer.unref();
  }

  /** Writes `state` now unless it is what was written last. */
  now(state: SyncState): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const value = JSON.stringify(state);
    if (value !== this.written && this.write(value)) this.written = value;
  }
}
