import type { OperatorRole } from "@tillsync/shared";
import type { Queryable } from "./transaction";

/** A live console session as authentication reads it. */
export interface StoredSession {
  idHash: string;
  operator: { id: string | null; name: string; role: OperatorRole };
  csrfToken: string;
  expiresAt: Date;
}

/** Console sessions: only the hash of the cookie's id is stored. */
export interface SessionStore {
  create(s: StoredSession): Promise<void>;
  /**
   * The session, when it has not expired, was not ended, and its operator (if named) is not
   * revoked: one query decides all three, so a revocation takes effect on the next request.
   */
  findLive(idHash: string): Promise<StoredSession | undefined>;
  /** Which of these sessions are live still (the /admin sockets' periodic check). */
  liveAmong(idHashes: string[]): Promise<Set<string>>;
  end(idHash: string): Promise<void>;
  /** Deletes sessions that expired or ended more than a day ago; returns how many. */
  deleteStale(): Promise<number>;
}

interface SessionRow {
  id_hash: string;
  operator_id: string | null;
  operator_name: string;
  role: OperatorRole;
  csrf_token: string;
  expires_at: Date;
}

const LIVE = `s.ended_at IS NULL AND s.expires_at > now()
  AND (s.operator_id IS NULL OR EXISTS (SELECT 1 FROM operators o WHERE o.id = s.operator_id AND o.revoked_at IS NULL))`;

export function sessionStore(q: Queryable): SessionStore {
  return {
    async create(s) {
      await q.query(
        `INSERT INTO operator_sessions (id_hash, operator_id, operator_name, role, csrf_token, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [s.idHash, s.operator.id, s.operator.name, s.operator.role, s.csrfToken, s.expiresAt],
      );
    },
    async findLive(idHash) {
      const { rows } = await q.query<SessionRow>(
        `SELECT s.id_hash, s.operator_id, s.operator_name, s.role, s.csrf_token, s.expires_at
           FROM operator_sessions s WHERE s.id_hash = $1 AND ${LIVE}`,
        [idHash],
      );
      const r = rows[0];
      if (!r) return undefined;
      return {
        idHash: r.id_hash,
        operator: { id: r.operator_id, name: r.operator_name, role: r.role },
        csrfToken: r.csrf_token,
        expiresAt: r.expires_at,
      };
    },
    async liveAmong(idHashes) {
      if (idHashes.length === 0) return new Set();
      const { rows } = await q.query<{ id_hash: string }>(
        `SELECT s.id_hash FROM operator_sessions s WHERE s.id_hash = ANY($1::text[]) AND ${LIVE}`,
        [idHashes],
      );
      return new Set(rows.map((r) => r.id_hash));
    },
    async end(idHash) {
      await q.query(`UPDATE operator_sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL`, [idHash]);
    },
    async deleteStale() {
      const r = await q.query(
        `DELETE FROM operator_sessions WHERE coalesce(ended_at, expires_at) < now() - interval '1 day'`,
      );
      return r.rowCount ?? 0;
    },
  };
}
