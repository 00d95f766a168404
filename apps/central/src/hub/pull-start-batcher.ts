import type { PullStart, PullStartQueries } from "../store/pull-start";
import { GroupCommit } from "./group-commit";

/**
 * The pulls' first statements (store/pull-start.ts) shared by the pulls that arrive together:
 * after a price change a thousand tills pull within a second or two, and each pull's first
 * statement was a round trip of its own, the same feed identity, sequencer check and head read
 * a thousand times. With none running a pull's statement goes at once; the pulls arriving
 * while one runs go together in the next (group commit, hub/group-commit.ts, used for reads).
 *
 * Nothing is cached: each pull is answered from a statement that began after the pull did, so
 * its snapshot holds whatever committed before the pull (a stop, a pause, a restore, a change to
 * number), as a statement of the pull's own would. Two pulls of one terminal in a batch share its row.
 */
export class PullStartBatcher implements Pick<PullStartQueries, "start"> {
  private readonly commit: GroupCommit<null, PullStart, Map<string, PullStart>>;

  constructor(store: Pick<PullStartQueries, "startMany">, maxBatch: number) {
    this.commit = new GroupCommit({
      maxBatch,
      write: (batch) => store.startMany(batch.map(([id]) => id)),
      settle: (id, waiters, starts) => {
        const s = starts.get(id);
        for (const w of waiters) {
          if (s) w.resolve(s);
          else w.reject(new Error(`no pull start read for terminal ${id}`));
        }
      },
    });
  }

  start(terminalId: string): Promise<PullStart> {
    return this.commit.submit(terminalId, null);
  }
}
