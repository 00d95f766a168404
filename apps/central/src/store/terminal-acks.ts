import type { Queryable } from "./transaction";

/** One terminal's acknowledged cursor in a batch; with `epoch`, checked against the feed first. */
export interface AckEntry {
  id: string;
  cursor: string;
  epoch?: string;
}

/**
 * Acknowledged cursors of many terminals in one statement; GREATEST: a late, reordered
 * acknowledge never moves a recorded cursor backwards. Rows are locked in id order, as the
 * heartbeat batch locks them, so the two never deadlock. Committed asynchronously, as
 * heartbeats are: a cursor lost to a crash of PostgreSQL only leaves the recorded one a little
 * lower, which holds compaction back (its floor is the lowest cursor) and is replaced by the
 * till's next acknowledge; it is never higher than what the till applied. For the pool only:
 * inside a larger transaction the setting would make that whole transaction's commit asynchronous.
 *
 * An entry with an epoch is recorded only if its cursor is a position of the feed as it stands
 * (the epoch is the feed's, the database still the one that epoch was given to, the cursor not
 * beyond the head), read in this same statement: a till's word about what it applied is taken,
 * but never a cursor of a feed central no longer holds (restored from a backup, re-initialised),
 * which would show it caught up and let compaction pass what it still has to pull. Entries
 * without one are recorded as the HTTP acknowledge always recorded them.
 */
export async function acknowledgeMany(q: Queryable, batch: AckEntry[]): Promise<Set<string>> {
  if (batch.length === 0) return new Set();
  const sorted = [...batch].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const checked = sorted.some((b) => b.epoch !== undefined);
  const { rows } = await q.query<{ id: string }>(
    `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS setting),
     locked AS (SELECT t.id FROM terminals t WHERE t.id = ANY($1::uuid[]) ORDER BY t.id FOR UPDATE),
     feed AS MATERIALIZED (
       SELECT f.epoch, (SELECT coalesce(max(position), 0) FROM change_feed) AS head
         FROM feed_identity f
        WHERE f.id = 1 AND $4::boolean AND f.fingerprint IS NOT DISTINCT FROM tillsync_feed_fingerprint())
     UPDATE terminals t SET acked_cursor = GREATEST(t.acked_cursor, b.cursor), last_seen_at = now()
       FROM async_commit, locked, unnest($1::uuid[], $2::bigint[], $3::uuid[]) AS b(id, cursor, epoch)
      WHERE t.id = locked.id AND b.id = t.id AND async_commit.setting = 'off'
        AND (b.epoch IS NULL OR EXISTS (SELECT 1 FROM feed WHERE feed.epoch = b.epoch AND b.cursor <= feed.head))
     RETURNING t.id::text AS id`,
    [sorted.map((b) => b.id), sorted.map((b) => b.cursor), sorted.map((b) => b.epoch ?? null), checked],
  );
  return new Set(rows.map((r) => r.id));
}
