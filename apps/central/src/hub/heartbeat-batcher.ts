import type { StoredHeartbeat } from "../store/stored-heartbeat";
import type { HeartbeatTransition, TerminalQueries } from "../store/terminals";

interface Waiting {
  heartbeat: StoredHeartbeat;
  /** Each caller's heartbeat with its settle functions, in arrival order. */
  done: Array<{ heartbeat: StoredHeartbeat; resolve(t: HeartbeatTransition): void; reject(err: unknown): void }>;
}

const isOpen = (hb: StoredHeartbeat) => (hb.circuit ? hb.circuit === "open" : hb.status === "circuit-open");

/**
 * Heartbeats written to PostgreSQL in batches, group-commit style: when no write is running a
 * heartbeat is written at once (no added latency when quiet); those arriving while one runs
 * wait for it and go together in the next single statement. Ten thousand tills beating every
 * 30 s cost a few statements per second instead of 333. Each caller's promise settles when
 * the statement holding its heartbeat committed (or failed), so a 200 still means "stored".
 * Two heartbeats of one terminal in the same batch: the later one is written, both settle; the
 * first gets the row's transition (back from OFFLINE, circuit open before), a later one what the
 * heartbeat before it in the batch left (never "came back" twice, so an alert is raised once).
 *
 * `windowMs`: a heartbeat that finds no write running waits that long for others before the
 * statement goes. At 10,000 tills (333 heartbeats/s, one every 3 ms) almost every heartbeat
 * found the previous write finished and went alone, one statement each; a few milliseconds let
 * one statement carry several, for that much added latency. 0 writes at once, as before.
 */
export class HeartbeatBatcher {
  private next = new Map<string, Waiting>();
  private running = false;

  constructor(
    private readonly store: Pick<TerminalQueries, "recordHeartbeats">,
    /** Heartbeats per statement at most; more wait for the next one. */
    private readonly maxBatch: number,
    /** How long the first heartbeat of a quiet moment waits for others (see above). */
    private readonly windowMs = 0,
  ) {}

  record(id: string, heartbeat: StoredHeartbeat): Promise<HeartbeatTransition> {
    return new Promise<HeartbeatTransition>((resolve, reject) => {
      const w = this.next.get(id);
      if (w) {
        w.heartbeat = heartbeat;
        w.done.push({ heartbeat, resolve, reject });
      } else this.next.set(id, { heartbeat, done: [{ heartbeat, resolve, reject }] });
      if (this.running) return;
      // Running from here on: the heartbeats of the window join this one instead of starting a write.
      this.running = true;
      if (this.windowMs > 0) setTimeout(() => void this.drain(), this.windowMs);
      else void this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.next.size > 0) {
      const batch = [...this.next].slice(0, this.maxBatch);
      for (const [id] of batch) this.next.delete(id);
      try {
        const ts = await this.store.recordHeartbeats(batch.map(([id, w]) => ({ id, heartbeat: w.heartbeat })));
        for (const [id, w] of batch) settle(w, ts.get(id) ?? { name: "", cameBack: false, circuitWasOpen: false });
      } catch (err) {
        for (const [, w] of batch) for (const d of w.done) d.reject(err);
      }
    }
    this.running = false;
  }
}

/** The row's transition to the first caller; each later one sees the heartbeat before it. */
function settle(w: Waiting, first: HeartbeatTransition): void {
  w.done.forEach((d, i) => {
    if (i === 0) return d.resolve(first);
    d.resolve({ name: first.name, cameBack: false, circuitWasOpen: isOpen(w.done[i - 1]!.heartbeat) });
  });
}
