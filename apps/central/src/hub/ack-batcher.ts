import type { TerminalQueries } from "../store/terminals";
import { GroupCommit } from "./group-commit";

/** One acknowledge waiting for its statement; with `epoch`, also checked against the feed's epoch (TerminalQueries.acknowledge). */
interface AckInput {
  cursor: bigint;
  epoch?: string;
}

/**
 * Acknowledged cursors written to PostgreSQL by group commit (hub/group-commit.ts): a price
 * change to 1,000 tills brings 1,000 acknowledges within a second or two, each a statement and a
 * commit of its own before. Two acknowledges of one terminal in a batch: the higher cursor is
 * written (the statement keeps GREATEST with the row's, so the order of batches does not matter),
 * judged as its own way in would judge it (checked against the feed when it came with an epoch),
 * and the others of that terminal in the batch share its outcome: they came from the same till,
 * and a lower cursor adds nothing to a higher one recorded.
 */
export class AckBatcher {
  private readonly commit: GroupCommit<AckInput, boolean, Set<string>>;

  constructor(store: Pick<TerminalQueries, "acknowledgeMany">, maxBatch: number) {
    this.commit = new GroupCommit({
      maxBatch,
      write: (batch) =>
        store.acknowledgeMany(
          batch.map(([id, ws]) => {
            const top = ws.reduce((m, w) => (w.input.cursor > m.input.cursor ? w : m));
            return { id, cursor: top.input.cursor.toString(), epoch: top.input.epoch };
          }),
        ),
      settle: (id, waiters, written) => {
        for (const w of waiters) w.resolve(written.has(id));
      },
    });
  }

  /** Resolves once written: true when recorded (not beyond the feed's head, of the feed's epoch when given). */
  acknowledge(id: string, cursor: string, epoch?: string): Promise<boolean> {
    let c: bigint;
    try {
      c = BigInt(cursor);
    } catch (err) {
      return Promise.reject(err); // this caller's alone, before it joins a batch
    }
    return this.commit.submit(id, epoch === undefined ? { cursor: c } : { cursor: c, epoch });
  }
}
