import type { CentralDb } from "../db/database";

/**
 * Housekeeping, daily, once per cluster.
 *
 * change_feed compaction deletes only entries that can never be needed again: an entry
 * superseded by a later numbered entry for the same row (entity_type, entity_id, store), and
 * at or below every live terminal's acknowledged cursor. The newest entry of every row stays,
 * so a new terminal pulling from cursor 0 still receives every row (readFeed sends a row's
 * current state, so the older entries add nothing).
 */
export async function runCleanup(
  db: CentralDb,
  opts: { historyDays: number },
): Promise<{ history: number; feed: number }> {
  const history = await db.pool.query(`DELETE FROM sync_history WHERE started_at < now() - make_interval(days => $1)`, [
    opts.historyDays,
  ]);
  const feed = await db.pool.query(
    `WITH floor AS (
       SELECT coalesce((SELECT min(acked_cursor) FROM terminals WHERE status <> 'DISABLED'),
                       (SELECT max(position) FROM change_feed)) AS pos)
     DELETE FROM change_feed f USING floor
      WHERE f.position IS NOT NULL AND f.position <= floor.pos
        AND EXISTS (SELECT 1 FROM change_feed g
                     WHERE g.entity_type = f.entity_type AND g.entity_id = f.entity_id
                       AND g.store_id IS NOT DISTINCT FROM f.store_id
                       AND g.position > f.position)`,
  );
  return { history: history.rowCount ?? 0, feed: feed.rowCount ?? 0 };
}
