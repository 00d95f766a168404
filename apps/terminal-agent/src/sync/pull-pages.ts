import type { FeedCursor, PullResponse } from "@tillsync/shared";
import type { SyncStateStore } from "../db/sync-state";
import type { SqliteDb } from "../db/terminal-db";
import type { CentralTransport } from "../transport/central-transport";
import { applyPulledPage, FEED_EPOCH_KEY } from "./pull-applier";
import type { SalesLane } from "./sales-lane";

/** What one cycle's pull of the feed works with; the engine builds it per cycle (sync-engine.ts). */
export interface PagePullDeps {
  db: SqliteDb;
  syncState: SyncStateStore;
  transport: Pick<CentralTransport, "pull" | "acknowledge">;
  /** Rows per page (SYNC_PULL_PAGE_SIZE). */
  pageSize: number;
  /** Aborted when the engine stops: the page being applied is the last. */
  signal: AbortSignal;
  /** The CRITICAL push beside the pull (sales-lane.ts). */
  lane: SalesLane;
  /** A page over the socket (the socket link's); undefined when it could not be, then HTTP. */
  pullOverSocket?: (since: FeedCursor, limit: number, epoch?: string) => Promise<PullResponse | undefined>;
  /** The cursor acknowledged over the socket; false when it could not be, then HTTP. */
  cursorOverSocket?: (cursor: FeedCursor, epoch?: string) => Promise<boolean>;
}

/**
 * Pulls every page after the stored cursor and applies each in order with its cursor (a failure
 * loses nothing: the next cycle starts from the last page applied), then acknowledges where it
 * reached. Adds the rows applied to `report.pulled`. Central's errors (a hold, a reset) are
 * thrown for the engine and feed-recovery.ts to handle.
 */
export async function pullPages(deps: PagePullDeps, report: { pulled: number }): Promise<void> {
  const { syncState, signal, lane, pageSize: limit } = deps;
  let cursor = syncState.cursor();
  let epoch = syncState.get(FEED_EPOCH_KEY);
  const start = cursor;
  if (signal.aborted) return; // stopping: the batch in flight was the push
  const pullPage = async (since: FeedCursor, e: string | undefined): Promise<PullResponse> =>
    (await deps.pullOverSocket?.(since, limit, e)) ?? deps.transport.pull(since, limit, undefined, e);
  try {
    let next: Promise<PullResponse> | undefined = pullPage(cursor, epoch);
    let mark = lane.mark();
    while (next && !signal.aborted) {
      const page: PullResponse = await lane.during(next);
      // Ask for the following page before applying this one, so central reads while we write.
      const following = page.hasMore ? pullPage(page.nextCursor, page.epoch ?? epoch) : undefined;
      following?.catch(() => undefined); // observed below; avoid an unhandled rejection if we stop first
      const followingMark = lane.mark();
      // Let the request reach the socket first: the apply below is synchronous and would
      // otherwise hold it back until the page is written, and nothing would overlap.
      if (following) await new Promise((resolve) => setImmediate(resolve));
      if (lane.overlapped(mark)) {
        // Read beside a lane push of a change it may reflect: read again once that is recorded.
        await lane.quiet();
        next = pullPage(cursor, epoch);
        mark = lane.mark();
        continue;
      }
      epoch = page.epoch ?? epoch;
      report.pulled += applyPulledPage(deps.db, page);
      cursor = page.nextCursor;
      [next, mark] = [following, followingMark];
      lane.resume(); // after a page read again with the lane held; and a sale committed during the write
    }
    if (cursor !== start && !(await deps.cursorOverSocket?.(cursor, epoch)))
      await deps.transport.acknowledge(cursor, epoch);
  } finally {
    await lane.close();
  }
}
