/** One caller waiting for the statement that carries its input. */
export interface Waiter<I, R> {
  input: I;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export interface GroupCommitOptions<I, R, W> {
  /** Writes one batch (per key, its waiters in arrival order) in one statement. */
  write(batch: Array<[string, Array<Waiter<I, R>>]>): Promise<W>;
  /** Settles one key's waiters once `write` committed. */
  settle(key: string, waiters: Array<Waiter<I, R>>, written: W): void;
  /** Keys per statement at most; more wait for the next one. */
  maxBatch: number;
  /** How long the first input of a quiet moment waits for others before its write (0: at once). */
  windowMs?: number;
  /**
   * At least this long from the start of one statement to the start of the next (0: the next
   * goes as soon as the last committed). For writes nobody waits on (heartbeats are answered
   * before they are written): a steady stream then costs one statement per spacing, not one per
   * input that arrived during the last write.
   */
  spacingMs?: number;
}

/**
 * Group commit for the hub's small, frequent writes (heartbeats, acknowledged cursors): with no
 * write running an input is written at once (or after `windowMs`), and those arriving meanwhile
 * go together in the next single statement. Ten thousand tills cost a few statements a second
 * instead of hundreds. Each caller's promise settles when the statement holding its input
 * committed (an acknowledge's 200 waits for that; a heartbeat is answered before, see
 * routes/heartbeat-route.ts); a failed statement rejects only its own callers and the next
 * batch is written.
 */
export class GroupCommit<I, R, W> {
  private next = new Map<string, Array<Waiter<I, R>>>();
  private running = false;
  /** When the last statement started (Date.now()), for spacingMs. */
  private lastStart = -Infinity;

  constructor(private readonly opts: GroupCommitOptions<I, R, W>) {}

  submit(key: string, input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiters = this.next.get(key);
      if (waiters) waiters.push({ input, resolve, reject });
      else this.next.set(key, [{ input, resolve, reject }]);
      if (this.running) return;
      // Running from here on: inputs of the window join this one instead of starting a write.
      this.running = true;
      const windowMs = this.opts.windowMs ?? 0;
      if (windowMs > 0) setTimeout(() => void this.drain(), windowMs);
      else void this.drain();
    });
  }

  private async drain(): Promise<void> {
    const spacingMs = this.opts.spacingMs ?? 0;
    while (this.next.size > 0) {
      const wait = this.lastStart + spacingMs - Date.now();
      if (spacingMs > 0 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.lastStart = Date.now();
      // Taken from the front without copying the queue: after a slow statement it can hold thousands.
      const batch: Array<[string, Array<Waiter<I, R>>]> = [];
      for (const entry of this.next) {
        if (batch.length >= this.opts.maxBatch) break;
        batch.push(entry);
      }
      for (const [key] of batch) this.next.delete(key);
      try {
        const written = await this.opts.write(batch);
        for (const [key, waiters] of batch) this.opts.settle(key, waiters, written);
      } catch (err) {
        for (const [, waiters] of batch) for (const w of waiters) w.reject(err);
      }
    }
    this.running = false;
  }
}
