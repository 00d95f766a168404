import type { TerminalQueries } from "../store/terminals";
import { GroupCommit } from "./group-commit";

/**
 * Acknowledged cursors written to PostgreSQL by group commit (hub/group-commit.ts): a price
 * change to 1,000 tills brings 1,000 acknowledges within a second or two, each a statement and a
 * commit of its own before. Two acknowledges of one terminal in a batch: the higher cursor is
 * written (the statement keeps GREATEST with the row's, so the order of batches does not matter).
 */
export class AckBatcher {
  private readonly commit: GroupCommit<bigint, void, void>;

  constructor(store: Pick<TerminalQueries, "acknowledgeMany">, maxBatch: number) {
    this.commit = new GroupCommit({
      maxBatch,
      write: (batch) =>
        store.acknowledgeMany(
          batch.map(([id, ws]) => ({ id, cursor: ws.reduce((m, w) => (w.input > m ? w.input : m), 0n).toString() })),
        ),
      settle: (_id, waiters) => {
        for (const w of waiters) w.resolve();
      },
    });
  }

  acknowledge(id: string, cursor: string): Promise<void> {
    let c: bigint;
    try {
      c = BigInt(cursor);
    } catch (err) {
      return Promise.reject(err); // this caller's alone, before it joins a batch
    }
    return this.commit.submit(id, c);
  }
}
