import type { TerminalQueries } from "../store/terminals";

/**
 * Acknowledged cursors written to PostgreSQL in batches, group-commit style (as the heartbeat
 * batcher): with no write running an acknowledge is written at once; those arriving meanwhile
 * go together in the next single statement. A price change to 1,000 tills brings 1,000
 * acknowledges within a second or two, each a statement and a commit of its own before. Each
 * caller's promise settles when the statement holding its cursor committed (or failed), so a
 * 200 still means "recorded". Two acknowledges of one terminal in a batch: the higher cursor is
 * written (the statement keeps GREATEST with the row's, so the order of batches does not matter).
 */
export class AckBatcher {
  private next = new Map<string, { cursor: bigint; done: Array<{ resolve(): void; reject(err: unknown): void }> }>();
  private running = false;

  constructor(
    private readonly store: Pick<TerminalQueries, "acknowledgeMany">,
    /** Acknowledges per statement at most; more wait for the next one. */
    private readonly maxBatch: number,
  ) {}

  acknowledge(id: string, cursor: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const c = BigInt(cursor);
      const w = this.next.get(id);
      if (w) {
        if (c > w.cursor) w.cursor = c;
        w.done.push({ resolve, reject });
      } else this.next.set(id, { cursor: c, done: [{ resolve, reject }] });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.next.size > 0) {
      const batch = [...this.next].slice(0, this.maxBatch);
      for (const [id] of batch) this.next.delete(id);
      try {
        await this.store.acknowledgeMany(batch.map(([id, w]) => ({ id, cursor: w.cursor.toString() })));
        for (const [, w] of batch) for (const d of w.done) d.resolve();
      } catch (err) {
        for (const [, w] of batch) for (const d of w.done) d.reject(err);
      }
    }
    this.running = false;
  }
}
