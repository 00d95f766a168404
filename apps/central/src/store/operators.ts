import { StateConflictError, type Operator, type OperatorRole } from "@tillsync/shared";
import type { Queryable } from "./transaction";

/** An operator as authentication sees it: who, with which role. */
export interface OperatorIdentity {
  id: string;
  name: string;
  role: OperatorRole;
}

interface OperatorRow {
  id: string;
  name: string;
  role: OperatorRole;
  created_at: Date;
  revoked_at: Date | null;
  last_sign_in_at: Date | null;
}

const COLUMNS = `id, name, role, created_at, revoked_at, last_sign_in_at`;

function toOperator(r: OperatorRow): Operator {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    createdAt: r.created_at.toISOString(),
    revokedAt: r.revoked_at?.toISOString() ?? null,
    lastSignInAt: r.last_sign_in_at?.toISOString() ?? null,
  };
}

/** The named operators of the control center (tokens kept only as hashes). */
export interface OperatorStore {
  /** A taken name is a StateConflictError. */
  create(input: { name: string; role: OperatorRole; tokenHash: string }): Promise<Operator>;
  list(): Promise<Operator[]>;
  get(id: string): Promise<Operator | undefined>;
  /** Revokes (idempotent): its token and sessions stop working. Undefined when it does not exist. */
  revoke(id: string): Promise<Operator | undefined>;
  /** The unrevoked operator holding this token hash. */
  findByTokenHash(hash: string): Promise<OperatorIdentity | undefined>;
  markSignedIn(id: string): Promise<void>;
}

export function operatorStore(q: Queryable): OperatorStore {
  return {
    async create(input) {
      // The audit log names ADMIN_TOKEN's built-in operator "owner"; nobody else may be called that.
      if (input.name.trim().toLowerCase() === "owner")
        throw new StateConflictError(
          "the name owner belongs to the built-in ADMIN_TOKEN operator; choose another name",
        );
      try {
        const { rows } = await q.query<OperatorRow>(
          `INSERT INTO operators (name, role, token_hash) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
          [input.name, input.role, input.tokenHash],
        );
        return toOperator(rows[0]!);
      } catch (err) {
        if ((err as { code?: string }).code === "23505")
          throw new StateConflictError(`an operator named ${input.name} already exists; choose another name`);
        throw err;
      }
    },
    async list() {
      const { rows } = await q.query<OperatorRow>(`SELECT ${COLUMNS} FROM operators ORDER BY created_at, name`);
      return rows.map(toOperator);
    },
    async get(id) {
      const { rows } = await q.query<OperatorRow>(`SELECT ${COLUMNS} FROM operators WHERE id = $1`, [id]);
      return rows[0] ? toOperator(rows[0]) : undefined;
    },
    async revoke(id) {
      // coalesce: revoking twice keeps the first time, so the answer is the same.
      const { rows } = await q.query<OperatorRow>(
        `UPDATE operators SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
        [id],
      );
      if (!rows[0]) return undefined;
      await q.query(`UPDATE operator_sessions SET ended_at = now() WHERE operator_id = $1 AND ended_at IS NULL`, [id]);
      return toOperator(rows[0]);
    },
    async findByTokenHash(hash) {
      const { rows } = await q.query<OperatorIdentity>(
        `SELECT id, name, role FROM operators WHERE token_hash = $1 AND revoked_at IS NULL`,
        [hash],
      );
      return rows[0];
    },
    async markSignedIn(id) {
      await q.query(`UPDATE operators SET last_sign_in_at = now() WHERE id = $1`, [id]);
    },
  };
}
