import { escapeLiteral, type Pool, type QueryResult } from "pg";
import type { SyncTable } from "@tillsync/shared";
import { withTransaction } from "./transaction";

/**
 * change_feed: every change to a central→terminal table, appended by the feed triggers
 * (feed/feed-triggers.ts) with a NULL position and numbered here once committed.
 *
 * Why not a sequence or timestamp written by the trigger: a writer that takes position 5 and
 * commits after another writer's position 6 is invisible when a terminal reads up to 6, and
 * that terminal's cursor then moves past 5 for ever. Here triggers append rows with a NULL
 * position, and only the sequencer gives positions, one transaction at a time (advisory
 * lock), to rows that have already committed. A row that commits later is numbered by a
 * later sequencer run, so its position is above every position any reader has seen: the
 * cursor can never pass a change that is still to come (G2). Writers are never serialized.
 */
const SEQUENCER_LOCK_KEY = 7_270_736_902;

export interface FeedEntry {
  position: string;
  entityType: SyncTable;
  entityId: string;
}

export interface ChangeFeedStore {
  /** Gives positions to committed, unnumbered feed rows. Returns how many it numbered. */
  sequence(): Promise<number>;
  /** Numbered entries after `since` in a store's scope (all-stores rows included), in order. */
  readPage(opts: { since: string; storeId: string; entityType?: SyncTable; limit: number }): Promise<FeedEntry[]>;
  /** The highest position given so far ("0" for an empty feed). */
  top(): Promise<string>;
  /** The stores whose rows changed in positions (after, upTo]; null stands for all-stores tables. */
  storesChangedBetween(after: string, upTo: string): Promise<Array<string | null>>;
  /**
   * Compacts the feed below a floor: every live terminal's acknowledged cursor, where terminals
   * not seen for `retentionDays` (offline longer than the retention) no longer hold it back.
   * Below it, deletes (1) entries superseded by a later numbered entry for the same row
   * (entity_type, entity_id, store): lossless, since a pull sends a row's current state and the
   * later entry still names the row, so a new terminal from cursor 0 still receives every row;
   * and (2) deletions older than `retentionDays` that are their row's newest entry (except the
   * head, which proves how far the feed went). A cursor below a removed deletion would miss it:
   * feed_identity.expired_below rises to it, and such a cursor gets 410 CURSOR_EXPIRED.
   */
  compact(opts: { retentionDays: number }): Promise<{ superseded: number; expired: number }>;
}

/**
 * A page of the feed in a store's scope: the all-stores rows (partial index on position where
 * store_id IS NULL) and the store's own rows (index on (store_id, position)), each read as an
 * index range scan in position order and cut at the limit, then merged in order (Merge Append):
 * a page reads at most `limit` entries of each branch however long the feed is and however its
 * rows split between stores. The single `store_id IS NULL OR store_id = $2` form can use no
 * index in that order: the planner walks the position index through every other store's rows,
 * or fetches all the scope's rows above the cursor and sorts them; on a freshly filled table
 * (no statistics) it did the latter, 44-178 ms a page instead of 3-4 ms. The (store_id,
 * position) index alone does not serve the NULL branch: IS NULL does not make store_id a
 * constant for the planner, so that scan would not count as position order. Exported for the
 * plan test (feed-plans.test.ts).
 */
export const FEED_PAGE_SQL = `SELECT position, entity_type AS "entityType", entity_id AS "entityId" FROM (
    (SELECT position, entity_type, entity_id FROM change_feed
      WHERE store_id IS NULL AND position > $1::bigint AND ($3::text IS NULL OR entity_type = $3)
      ORDER BY position LIMIT $4)
    UNION ALL
    (SELECT position, entity_type, entity_id FROM change_feed
      WHERE store_id = $2::uuid AND position > $1::bigint AND ($3::text IS NULL OR entity_type = $3)
      ORDER BY position LIMIT $4)
  ) scope ORDER BY position LIMIT $4`;

/**
 * Planner settings for the page read's transaction (local to it). The ordered index scans are
 * the best plan whatever the data (each stops after `limit` entries), but the planner only sees
 * that when it expects many rows per store; without statistics it guesses a few dozen and
 * prefers a bitmap scan and a sort of everything above the cursor. With sequential and bitmap
 * scans off for this one statement, the ordered index scans are what is left. JIT off: the
 * penalty cost of a disabled plan would otherwise make the planner compile one (60-300 ms).
 * Not a SQL function with these as SET clauses: measured, it made a pull slower (fan-out of 200
 * agents, p50 2.3-2.6 s against 1.5-1.6 s this way).
 */
export const ORDERED_INDEX_SCANS_ONLY = `SELECT set_config('enable_seqscan', 'off', true),
    set_config('enable_bitmapscan', 'off', true), set_config('jit', 'off', true)`;

/**
 * The settings and the page in one round trip instead of four (BEGIN, settings, page, COMMIT):
 * one simple-protocol message of two statements, which PostgreSQL runs as one implicit
 * transaction, so the settings are still local to it. That protocol takes no parameters, so
 * the values are written in as literals, each checked or escaped here (the cursor and the limit
 * are validated by the pull's schema, the store id comes from the terminal's key). Once per
 * pull: with 1,000 tills a price change cost 4,000 of these round trips, now 1,000.
 */
export function feedPageMessage(opts: FeedPageOptions): string {
  return `${ORDERED_INDEX_SCANS_ONLY}; ${feedPageLiteralSql(opts)}`;
}

type FeedPageOptions = { since: string; storeId: string; entityType?: string; limit: number };

/** FEED_PAGE_SQL with its four parameters written in as checked or escaped literals. */
export function feedPageLiteralSql(opts: FeedPageOptions): string {
  if (!/^\d{1,19}$/.test(opts.since)) throw new Error(`feed page: not a cursor: ${opts.since}`);
  if (!/^[0-9a-f-]{36}$/i.test(opts.storeId)) throw new Error(`feed page: not a store id: ${opts.storeId}`);
  if (!Number.isSafeInteger(opts.limit) || opts.limit < 1) throw new Error(`feed page: bad limit ${opts.limit}`);
  const literals: Record<string, string> = {
    $1: `'${opts.since}'`,
    $2: `'${opts.storeId}'`,
    $3: opts.entityType === undefined ? "NULL" : escapeLiteral(opts.entityType),
    $4: String(opts.limit),
  };
  return FEED_PAGE_SQL.replace(/\$[1-4]\b/g, (p) => literals[p]!);
}

export function changeFeedStore(pool: Pool): ChangeFeedStore {
  return {
    sequence: () => sequenceFeed(pool),
    async readPage(opts) {
      const results = (await pool.query(feedPageMessage(opts))) as unknown as QueryResult<FeedEntry>[];
      return results[1]!.rows;
    },
    async top() {
      const { rows } = await pool.query<{ top: string }>(
        `SELECT coalesce(max(position), 0)::text AS top FROM change_feed`,
      );
      return rows[0]!.top;
    },
    async storesChangedBetween(after, upTo) {
      const { rows } = await pool.query<{ store_id: string | null }>(
        `SELECT DISTINCT store_id FROM change_feed WHERE position > $1::bigint AND position <= $2::bigint`,
        [after, upTo],
      );
      return rows.map((r) => r.store_id);
    },
    compact: (opts) =>
      withTransaction(pool, async (c) => {
        const floor = `(SELECT coalesce(
              (SELECT min(acked_cursor) FROM terminals WHERE status <> 'DISABLED'
                  AND coalesce(last_seen_at, created_at) >= now() - make_interval(days => $1::int)),
              (SELECT max(position) FROM change_feed)))`;
        const later = `EXISTS (SELECT 1 FROM change_feed g
                         WHERE g.entity_type = f.entity_type AND g.entity_id = f.entity_id
                           AND g.store_id IS NOT DISTINCT FROM f.store_id AND g.position > f.position)`;
        const superseded = await c.query(
          `DELETE FROM change_feed f WHERE f.position IS NOT NULL AND f.position <= ${floor} AND ${later}`,
          [opts.retentionDays],
        );
        const expired = await c.query<{ top: string | null; n: number }>(
          `WITH gone AS (
             DELETE FROM change_feed f
              WHERE f.position IS NOT NULL AND f.position <= ${floor} AND f.operation = 'DELETE'
                AND f.created_at < now() - make_interval(days => $1::int)
                AND f.position < (SELECT max(position) FROM change_feed) AND NOT ${later}
             RETURNING f.position)
           UPDATE feed_identity SET expired_below = greatest(expired_below, (SELECT max(position) FROM gone))
            WHERE id = 1 AND EXISTS (SELECT 1 FROM gone)
           RETURNING (SELECT count(*)::int FROM gone) AS n`,
          [opts.retentionDays],
        );
        return { superseded: superseded.rowCount ?? 0, expired: expired.rows[0]?.n ?? 0 };
      }),
  };
}

/** The sequencer (see the top of this file); exported for tools that fill the feed in bulk. */
export async function sequenceFeed(pool: Pool): Promise<number> {
  // Cheap check first: pulls call this every time and usually find nothing to do.
  const { rows: todo } = await pool.query(`SELECT 1 FROM change_feed WHERE position IS NULL LIMIT 1`);
  if (todo.length === 0) return 0;
  return withTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [SEQUENCER_LOCK_KEY]);
    // This statement's snapshot is taken after the lock, so it sees every earlier run's
    // positions; max(position) comes from the unique index.
    const r = await client.query(
      `WITH base AS (SELECT coalesce(max(position), 0) AS top FROM change_feed),
            todo AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM change_feed WHERE position IS NULL)
       UPDATE change_feed f SET position = base.top + todo.n
         FROM base, todo WHERE f.id = todo.id`,
    );
    return r.rowCount ?? 0;
  });
}
