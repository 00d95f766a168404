/**
 * Raised by the engine's data_version poll when the till commits a CRITICAL change while a
 * push is running: the pipeline waiting on an answer wakes and sends the sale at once in a
 * batch of its own (push-pipeline.ts), instead of the sale waiting behind a backlog's batches.
 * One promise per wait, shared by its waiters and dropped when raised, so a long cycle that
 * waits on many answers piles up no listeners.
 */
export class UrgentSignal {
  private next: { promise: Promise<void>; resolve: () => void } | undefined;

  wait(): Promise<void> {
    if (!this.next) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.next = { promise, resolve };
    }
    return this.next.promise;
  }

  raise(): void {
    const next = this.next;
    this.next = undefined;
    next?.resolve();
  }
}
