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
 * No entry is recorded beyond the feed's head: a cursor there is no position central gave out (a
 * lying or confused till, or one restored from a newer backup than central), and recording it
 * would show the till caught up and let compaction pass what it still has to pull. An entry with
 * an epoch is also checked against the feed as it stands (the epoch is the feed's, the database
 * still the one that epoch was given to): a cursor of a feed central no longer holds (restored
 * from a backup, re-initialised) is not taken either. Both are read in this same statement; the
 * head is the feed's highest position, which compaction never deletes.
 */
export async function acknowledgeMany(q: Queryable, batch: AckEntry[]): Promise<Set<string>> {
  if (batch.length === 0) return new Set();
  const sorted = [...batch].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const checked = sorted.some((b) => b.epoch !== undefined);
  const { rows } = await q.query<{ id: string }>(
    `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS setting),
     locked AS (SELECT t.id FROM terminals t WHERE t.id = ANY($1::uuid[]) ORDER BY t.id FOR UPDATE),
     head AS MATERIALIZED (SELECT coalesce(max(position), 0) AS head FROM change_feed),
     feed AS MATERIALIZED (
       SELECT f.epoch
         FROM feed_identity f
        WHERE f.id = 1 AND $4::boolean AND f.fingerprint IS NOT DISTINCT FROM tillsync_feed_fingerprint())
     UPDATE terminals t SET acked_cursor = GREATEST(t.acked_cursor, b.cursor), last_seen_at = now()
       FROM async_commit, locked, head, unnest($1::uuid[], $2::bigint[], $3::uuid[]) AS b(id, cursor, epoch)
      WHERE t.id = locked.id AND b.id = t.id AND async_commit.setting = 'off' AND b.cursor <= head.head
        AND (b.epoch IS NULL OR EXISTS (SELECT 1 FROM feed WHERE feed.epoch = b.epoch))
     RETURNING t.id::text AS id`,
    [sorted.map((b) => b.id), sorted.map((b) => b.cursor), sorted.map((b) => b.epoch ?? null), checked],
  );
  return new Set(rows.map((r) => r.id));
}
