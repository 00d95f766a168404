import type { Queryable } from "./transaction";
import type { FeedIdentity } from "./feed-identity";
import { OPEN_PART } from "./sync-runs";
import { HOLD_COLUMNS, HOLD_JOINS, holdFromRow, type HoldRow, type SyncHold } from "./sync-control";

/** What a pull must know before it reads a page, as committed when the pull began. */
export interface PullStart {
  hold: SyncHold;
  /**
   * The feed's identity, or null when the database no longer lives where the epoch was given
   * (or the row is missing): then FeedIdentityStore.current gives the feed its new epoch.
   */
  identity: FeedIdentity | null;
  /** Whether committed feed rows wait for the sequencer (its cheap check, change-feed.ts). */
  unsequenced: boolean;
  /**
   * Whether the terminal has a part in an open run, whose records the pull must count
   * (SyncRunStore.addRecords). A run's trigger is sent after its parts are written, so the pull
   * that answers it sees them; a price change's pulls, in no run, skip that statement.
   */
  inRun: boolean;
  /**
   * The feed's highest numbered position: a cached page read when it was the same is the page
   * this pull would read (feed/feed-page-cache.ts), numbered entries being only ever added above it.
   */
  head: string;
}

export interface PullStartQueries {
  /** The terminal's hold, the feed's identity, the sequencer's check and its open run, in one statement. */
  start(terminalId: string): Promise<PullStart>;
}

/**
 * A pull began with three statements: the hold (syncControlQueries.holdOf), the feed's
 * identity with its fingerprint check (FeedIdentityStore.current) and the sequencer's check for
 * unnumbered rows (sequenceFeed). One statement reads the same three things from one snapshot,
 * taken when the pull begins, as the first of the three was: nothing is cached, so a stop, a
 * pause or a restore committed before a pull is seen by that pull. It also says whether the
 * terminal is in an open run, so the run counters' UPDATE runs only then (a price change is no
 * run). The fan-out of 1,000 tills made 4,000 of these round trips per price change; now 1,000.
 */
export function pullStartQueries(q: Queryable): PullStartQueries {
  return {
    async start(terminalId) {
      const { rows } = await q.query<
        HoldRow & {
          epoch: string | null;
          expired_below: string | null;
          same: boolean | null;
          unsequenced: boolean;
          in_run: boolean;
          head: string;
        }
      >(
        `SELECT ${HOLD_COLUMNS},
                f.epoch::text AS epoch, f.expired_below::text AS expired_below,
                f.fingerprint IS NOT DISTINCT FROM tillsync_feed_fingerprint() AS same,
                EXISTS (SELECT 1 FROM change_feed WHERE position IS NULL) AS unsequenced,
                EXISTS (SELECT 1 FROM sync_run_terminals WHERE terminal_id = $1 AND ${OPEN_PART}) AS in_run,
                (SELECT coalesce(max(position), 0)::text FROM change_feed) AS head
           FROM (SELECT 1) one ${HOLD_JOINS}
           LEFT JOIN feed_identity f ON f.id = 1`,
        [terminalId],
      );
      const r = rows[0]!;
      const identity = r.epoch !== null && r.same ? { epoch: r.epoch, expiredBelow: r.expired_below! } : null;
      return { hold: holdFromRow(r), identity, unsequenced: r.unsequenced, inRun: r.in_run, head: r.head };
    },
  };
}
