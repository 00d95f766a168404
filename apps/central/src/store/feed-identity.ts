import type { Pool } from "pg";

/**
 * feed_identity: the change feed's epoch and how far compaction has expired cursors (one row,
 * created by the migration). A cursor is a position in one feed; after a restore from a backup
 * the same positions name other changes, so terminals send the epoch with their cursor and
 * central answers 409 FEED_RESET for another one.
 */
export interface FeedIdentity {
  epoch: string;
  /** A cursor below this (other than "0") has missed deletions compaction removed: 410 CURSOR_EXPIRED. */
  expiredBelow: string;
  /** Set when this call gave the feed a new epoch, with the reason. */
  rotated?: string;
}

export interface FeedIdentityStore {
  /**
   * The feed's identity now. When the database no longer lives where the epoch was given (its
   * fingerprint changed: restored into a new database, copied, tables re-created, a new cluster
   * or timeline), the feed gets a new epoch first, exactly once however many callers notice.
   */
  current(): Promise<FeedIdentity>;
  /**
   * Gives the feed a new epoch (a restore found another way, or an operator's re-initialisation)
   * and returns the epoch now in force. With `from`, only when the epoch is still that one, so
   * instances that notice the same restore together change it once.
   */
  rotate(reason: string, from?: string): Promise<string>;
  /** Raises the expiry floor to `position` (never lowers it). */
  expireBelow(position: string): Promise<void>;
}

export function feedIdentityStore(pool: Pool): FeedIdentityStore {
  return {
    async current() {
      const { rows } = await pool.query<{ epoch: string; expired_below: string; same: boolean }>(
        `SELECT epoch::text, expired_below::text, fingerprint IS NOT DISTINCT FROM tillsync_feed_fingerprint() AS same
           FROM feed_identity WHERE id = 1`,
      );
      const row = rows[0];
      if (row?.same) return { epoch: row.epoch, expiredBelow: row.expired_below };
      const reason = row
        ? "the database was restored or copied (its fingerprint changed)"
        : "the feed had no identity (re-initialised)";
      // Compare-and-set on the fingerprint: concurrent pulls that all noticed rotate it once;
      // the others wait for that commit, change nothing, and read the new epoch below.
      const { rows: upd } = await pool.query<{ epoch: string; expired_below: string }>(
        `INSERT INTO feed_identity (id, epoch, fingerprint, reason, changed_at)
         VALUES (1, gen_random_uuid(), tillsync_feed_fingerprint(), $1, now())
         ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, fingerprint = excluded.fingerprint,
           reason = excluded.reason, changed_at = excluded.changed_at
          WHERE feed_identity.fingerprint IS DISTINCT FROM excluded.fingerprint
         RETURNING epoch::text, expired_below::text`,
        [reason],
      );
      if (upd[0]) return { epoch: upd[0].epoch, expiredBelow: upd[0].expired_below, rotated: reason };
      const { rows: now } = await pool.query<{ epoch: string; expired_below: string }>(
        `SELECT epoch::text, expired_below::text FROM feed_identity WHERE id = 1`,
      );
      return { epoch: now[0]!.epoch, expiredBelow: now[0]!.expired_below };
    },
    async rotate(reason, from) {
      const { rows } = await pool.query<{ epoch: string }>(
        `UPDATE feed_identity SET epoch = gen_random_uuid(), reason = $1, changed_at = now()
          WHERE id = 1 AND ($2::uuid IS NULL OR epoch = $2::uuid)
         RETURNING epoch::text`,
        [reason, from ?? null],
      );
      if (rows[0]) return rows[0].epoch;
      return (await pool.query<{ epoch: string }>(`SELECT epoch::text FROM feed_identity WHERE id = 1`)).rows[0]!.epoch;
    },
    async expireBelow(position) {
      await pool.query(`UPDATE feed_identity SET expired_below = greatest(expired_below, $1::bigint) WHERE id = 1`, [
        position,
      ]);
    },
  };
}
