import type { HubTunables } from "../config";
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
 * `windowMs`: a statement at most that often, carrying every heartbeat that arrived meanwhile
 * (the first of a quiet moment waits that long for others too). At 10,000 tills (333
 * heartbeats/s, one every 3 ms) almost every heartbeat found the previous write finished and went
 * alone: 333 statements a second, a third of central's CPU for heartbeats in the PostgreSQL
 * client. Heartbeats are answered before they are written (routes/heartbeat-route.ts), so the
 * window costs the agent nothing; it delays only when the row shows the heartbeat (reads on this
 * instance wait for it, afterHeartbeats). 0 writes at once.
 */
export class HeartbeatBatcher {
  private readonly commit: GroupCommit<StoredHeartbeat, HeartbeatTransition, Map<string, HeartbeatTransition>>;

  constructor(
    store: Pick<TerminalQueries, "recordHeartbeats">,
    /** Heartbeats per statement at most; more wait for the next one. */
    maxBatch: number,
    /** A statement at most this often (see above). */
    windowMs = 0,
  ) {
    this.commit = new GroupCommit({
      maxBatch,
      windowMs,
      spacingMs: windowMs,
      write: (batch) => store.recordHeartbeats(batch.map(([id, ws]) => ({ id, heartbeat: ws.at(-1)!.input }))),
      settle: (id, waiters, written) => settle(waiters, written.get(id) ?? NO_TRANSITION),
    });
  }

  /** Heartbeats submitted and not yet settled (written, or their statement failed). */
  private readonly pending = new Set<Promise<HeartbeatTransition>>();

  record(id: string, heartbeat: StoredHeartbeat): Promise<HeartbeatTransition> {
    const p = this.commit.submit(id, heartbeat);
    this.pending.add(p);
    const done = () => void this.pending.delete(p);
    p.then(done, done);
    return p;
  }

  /**
   * Settles once every heartbeat recorded before the call is written (or its statement failed);
   * later ones are not waited for, so a steady stream of heartbeats never holds a reader up for
   * more than the statements already on their way.
   */
  async flushed(): Promise<void> {
    if (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}

/** The hub's batcher: HUB_DEFAULTS' statement cap and window (heartbeatStatementMax, heartbeatWindowMs). */
export function hubHeartbeatBatcher(
  store: Pick<TerminalQueries, "recordHeartbeats">,
  hub: Pick<HubTunables, "heartbeatStatementMax" | "heartbeatWindowMs">,
): HeartbeatBatcher {
  return new HeartbeatBatcher(store, hub.heartbeatStatementMax, hub.heartbeatWindowMs);
}

/**
 * What reads what heartbeats write (health, ONLINE/OFFLINE, the last heartbeat): the terminal
 * store's reads, and the writes that answer with the terminal's status.
 */
export const TERMINAL_HEARTBEAT_READS = [
  "list",
  "heartbeats",
  "backloggedHeartbeats",
  "statusOf",
  "markSilentOffline",
  "enable",
  "revokeKeys",
] as const;
/** Pausing and resuming a terminal answer with its status. */
export const CONTROL_HEARTBEAT_READS = ["pauseTerminal", "resumeTerminal"] as const;

/**
 * `store` with the methods named made to wait for the heartbeats this instance already
 * answered (HeartbeatBatcher.flushed). A heartbeat is answered once it is queued, before its row
 * is written (routes/heartbeat-route.ts); with this, whatever reads that row on this instance
 * afterwards (GET /api/terminals, the console's feed, a sync status, a pause's answer, the
 * OFFLINE sweep) sees it, as it did when the answer waited for the write. Another instance, or
 * a plain SQL client, may read the row up to one statement (heartbeatWindowMs plus the write)
 * early.
 */
export function afterHeartbeats<T extends object>(
  store: T,
  names: ReadonlyArray<keyof T>,
  batcher: Pick<HeartbeatBatcher, "flushed">,
): T {
  const wrapped = { ...store };
  for (const name of names) {
    const read = store[name] as (...args: unknown[]) => Promise<unknown>;
    (wrapped[name] as unknown) = async (...args: unknown[]) => {
      await batcher.flushed();
      return read.apply(store, args);
    };
  }
  return wrapped;
}

/** The row's transition to the first caller; each later one sees the heartbeat before it. */
function settle(waiters: Array<Waiter<StoredHeartbeat, HeartbeatTransition>>, first: HeartbeatTransition): void {
  waiters.forEach((w, i) => {
    if (i === 0) return w.resolve(first);
    w.resolve({ name: first.name, cameBack: false, circuitWasOpen: isOpen(waiters[i - 1]!.input) });
  });
}
