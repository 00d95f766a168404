import type { StoredHeartbeat } from "../store/stored-heartbeat";
import type { HeartbeatTransition, TerminalQueries } from "../store/terminals";
import { GroupCommit, type Waiter } from "./group-commit";

const isOpen = (hb: StoredHeartbeat) => (hb.circuit ? hb.circuit === "open" : hb.status === "circuit-open");
const NO_TRANSITION: HeartbeatTransition = { name: "", cameBack: false, circuitWasOpen: false };

/**
 * Heartbeats written to PostgreSQL by group commit (hub/group-commit.ts): ten thousand tills
 * beating every 30 s cost a few statements per second instead of 333. Two heartbeats of one
 * terminal in the same batch: the later one is written, both settle; the first gets the row's
 * transition (back from OFFLINE, circuit open before), a later one what the heartbeat before it
 * in the batch left (never "came back" twice, so an alert is raised once).
 *
 * `windowMs`: a heartbeat that finds no write running waits that long for others before the
 * statement goes. At 10,000 tills (333 heartbeats/s, one every 3 ms) almost every heartbeat
 * found the previous write finished and went alone; a few milliseconds let one statement carry
 * several, for that much added latency. 0 writes at once.
 */
export class HeartbeatBatcher {
  private readonly commit: GroupCommit<StoredHeartbeat, HeartbeatTransition, Map<string, HeartbeatTransition>>;

  constructor(
    store: Pick<TerminalQueries, "recordHeartbeats">,
    /** Heartbeats per statement at most; more wait for the next one. */
    maxBatch: number,
    /** How long the first heartbeat of a quiet moment waits for others (see above). */
    windowMs = 0,
  ) {
    this.commit = new GroupCommit({
      maxBatch,
      windowMs,
      write: (batch) => store.recordHeartbeats(batch.map(([id, ws]) => ({ id, heartbeat: ws.at(-1)!.input }))),
      settle: (id, waiters, written) => settle(waiters, written.get(id) ?? NO_TRANSITION),
    });
  }

  record(id: string, heartbeat: StoredHeartbeat): Promise<HeartbeatTransition> {
    return this.commit.submit(id, heartbeat);
  }
}

/** The row's transition to the first caller; each later one sees the heartbeat before it. */
function settle(waiters: Array<Waiter<StoredHeartbeat, HeartbeatTransition>>, first: HeartbeatTransition): void {
  waiters.forEach((w, i) => {
    if (i === 0) return w.resolve(first);
    w.resolve({ name: first.name, cameBack: false, circuitWasOpen: isOpen(waiters[i - 1]!.input) });
  });
}
