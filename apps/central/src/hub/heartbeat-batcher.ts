import type { StoredHeartbeat } from "../store/stored-heartbeat";
import type { TerminalQueries } from "../store/terminals";

interface Waiting {
  heartbeat: StoredHeartbeat;
  done: Array<{ resolve(): void; reject(err: unknown): void }>;
}

/**
 * Heartbeats written to PostgreSQL in batches, group-commit style: when no write is running a
 * heartbeat is written at once (no added latency when quiet); those arriving while one runs
 * wait for it and go together in the next single statement. Ten thousand tills beating every
 * 30 s cost a few statements per second instead of 333. Each caller's promise settles when
 * the statement holding its heartbeat committed (or failed), so a 200 still means "stored".
 * Two heartbeats of one terminal in the same batch: the later one is written, both settle.
 */
export class HeartbeatBatcher {
  private next = new Map<string, Waiting>();
  private running = false;

  constructor(
    private readonly store: Pick<TerminalQueries, "recordHeartbeats">,
    /** Heartbeats per statement at most; more wait for the next one. */
    private readonly maxBatch: number,
  ) {}

  record(id: string, heartbeat: StoredHeartbeat): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w = this.next.get(id);
      if (w) {
        w.heartbeat = heartbeat;
        w.done.push({ resolve, reject });
      } else this.next.set(id, { heartbeat, done: [{ resolve, reject }] });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.next.size > 0) {
      const batch = [...this.next].slice(0, this.maxBatch);
      for (const [id] of batch) this.next.delete(id);
      try {
        await this.store.recordHeartbeats(batch.map(([id, w]) => ({ id, heartbeat: w.heartbeat })));
        for (const [, w] of batch) for (const d of w.done) d.resolve();
      } catch (err) {
        for (const [, w] of batch) for (const d of w.done) d.reject(err);
      }
    }
    this.running = false;
  }
}
