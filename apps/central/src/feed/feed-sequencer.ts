import type { Pool } from "pg";

/**
 * Numbers committed change-feed rows, in the order they become visible (G2).
 *
 * Why not a sequence or timestamp written by the trigger: a writer that takes position 5 and
 * commits after another writer's position 6 is invisible when a terminal reads up to 6, and
 * that terminal's cursor then moves past 5 for ever. Here triggers append rows with a NULL
 * position, and only this sequencer gives positions, one transaction at a time (advisory
 * lock), to rows that have already committed. A row that commits later is numbered by a
 * later sequencer run, so its position is above every position any reader has seen: the
 * cursor can never pass a change that is still to come. Writers are never serialized.
 */
const SEQUENCER_LOCK_KEY = 7_270_736_902;

/** Gives positions to committed, unnumbered feed rows. Returns how many it numbered. */
export async function sequenceFeed(pool: Pool): Promise<number> {
  const client = await pool.connect();
  try {
    // Cheap check first: pulls call this every time and usually find nothing to do.
    const { rows: todo } = await client.query(`SELECT 1 FROM change_feed WHERE position IS NULL LIMIT 1`);
    if (todo.length === 0) return 0;
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [SEQUENCER_LOCK_KEY]);
    // This statement's snapshot is taken after the lock, so it sees every earlier run's
    // positions; max(position) comes from the unique index.
    const r = await client.query(
      `WITH base AS (SELECT coalesce(max(position), 0) AS top FROM change_feed),
            todo AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM change_feed WHERE position IS NULL)
       UPDATE change_feed f SET position = base.top + todo.n
         FROM base, todo WHERE f.id = todo.id`,
    );
    await client.query("COMMIT");
    return r.rowCount ?? 0;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
