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
  /**
   * start for several terminals in one statement (hub/pull-start-batcher.ts), each from the same
   * snapshot, taken when the statement begins; ids are distinct.
   */
  startMany(terminalIds: string[]): Promise<Map<string, PullStart>>;
}

type StartRow = HoldRow & {
  terminal_id: string;
  epoch: string | null;
  expired_below: string | null;
  same: boolean | null;
  unsequenced: boolean;
  in_run: boolean;
  head: string;
};

/**
 * One row per terminal of $1: its hold and open run, and the feed's identity, sequencer check and
 * head, which the FROM subquery reads once for all of them.
 */
const START_MANY_SQL = `SELECT x.id::text AS terminal_id,
        e.stopped, e.since, e.reason, e.stopped_by, e.resumed_at, e.resumed_by,
        t.paused AS t_paused, t.paused_reason AS t_reason, t.paused_at AS t_at, t.paused_by AS t_by,
        f.epoch::text AS epoch, f.expired_below::text AS expired_below,
        f.fingerprint IS NOT DISTINCT FROM g.fingerprint AS same,
        g.unsequenced, g.head,
        EXISTS (SELECT 1 FROM sync_run_terminals WHERE terminal_id = x.id AND ${OPEN_PART}) AS in_run
   FROM unnest($1::uuid[]) AS x(id)
   CROSS JOIN (SELECT tillsync_feed_fingerprint() AS fingerprint,
                      EXISTS (SELECT 1 FROM change_feed WHERE position IS NULL) AS unsequenced,
                      (SELECT coalesce(max(position), 0)::text FROM change_feed) AS head) g
   LEFT JOIN emergency_stop e ON e.id = 1
   LEFT JOIN terminals t ON t.id = x.id
   LEFT JOIN feed_identity f ON f.id = 1`;

function startOf(r: Omit<StartRow, "terminal_id">): PullStart {
  const identity = r.epoch !== null && r.same ? { epoch: r.epoch, expiredBelow: r.expired_below! } : null;
  return { hold: holdFromRow(r), identity, unsequenced: r.unsequenced, inRun: r.in_run, head: r.head };
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
      const { rows } = await q.query<Omit<StartRow, "terminal_id">>(
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
      return startOf(rows[0]!);
    },
    async startMany(terminalIds) {
      const { rows } = await q.query<StartRow>(START_MANY_SQL, [terminalIds]);
      return new Map(rows.map((r) => [r.terminal_id, startOf(r)]));
    },
  };
}
