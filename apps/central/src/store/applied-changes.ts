import type { FirstResult, SyncTable } from "@tillsync/shared";
import { arrayLiteral } from "./array-literal";
import type { Queryable } from "./transaction";

/** A change this terminal pushed before and central applied, and the result it first gave (G1). */
export interface AppliedRecord {
  changeId: string;
  result: FirstResult;
}

export interface NewAppliedRecord {
  changeId: string;
  entityType: SyncTable;
  entityId: string;
  result: FirstResult;
}

/**
 * applied_changes: the idempotency record of every pushed change central applied: the terminal,
 * its change id, the row, and the version an APPLIED change produced (other results, rare,
 * whole). Keyed by (terminal, change id): a change id is unique per terminal only (agents draw
 * 32 random bits per id), so another terminal's same id is another change, judged afresh like
 * any other (its ownership included), and a terminal never sees another's records.
 */
export interface AppliedChangeStore {
  /** The records of those change ids that this terminal pushed and central applied before. */
  lookUp(terminalId: string, changeIds: string[]): Promise<AppliedRecord[]>;
  /**
   * Records changes as applied by this terminal; returns how many it recorded: all of them, or
   * 0 when one of this terminal's ids is recorded already (by an earlier push, or by a
   * concurrent one: the insert waits for that transaction and sees its commit). The statement
   * then failed, so the open transaction can only be rolled back; the caller judges the batch
   * again in a new one.
   */
  record(terminalId: string, records: NewAppliedRecord[]): Promise<number>;
  /**
   * `(entityId, version)` pairs this terminal's applied changes produced for these rows: its
   * own APPLIED results and the conflicts it won or merged. The push reads them so that a
   * terminal never conflicts with itself (an earlier answer it lost still counts as its own).
   */
  versionsProducedBy(terminalId: string, entityIds: string[]): Promise<Array<{ entityId: string; version: number }>>;
}

/**
 * A record's first result. APPLIED is recorded as its version alone (the narrow record: no
 * JSON per change on the hot path) and rebuilt here; records written before that carry it whole.
 */
function resultOf(r: { changeId: string; version: number | null; result: FirstResult | null }): FirstResult {
  if (r.result || r.version === null) return r.result as FirstResult;
  return { changeId: r.changeId, status: "APPLIED", version: r.version } as FirstResult;
}

/** The unique violation of applied_changes' key: a change id of this terminal recorded already. */
function isTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === "23505" && e.constraint === "applied_changes_pkey";
}

export function appliedChangeStore(q: Queryable): AppliedChangeStore {
  return {
    async lookUp(terminalId, changeIds) {
      if (changeIds.length === 0) return [];
      const { rows } = await q.query<{ changeId: string; version: number | null; result: FirstResult | null }>(
        `SELECT change_id AS "changeId", version, result
           FROM applied_changes WHERE terminal_id = $1 AND change_id = ANY($2::uuid[])`,
        [terminalId, changeIds],
      );
      return rows.map((r) => ({ changeId: r.changeId, result: resultOf(r) }));
    },
    async record(terminalId, records) {
      if (records.length === 0) return 0;
      // A plain insert, not ON CONFLICT DO NOTHING: a taken key is rare (a resend, a race) and
      // rolls the whole push back either way, while speculative insertion costs every row an
      // extra index probe and WAL record (~1.5 ms of PostgreSQL's CPU per batch of 1,000).
      const { rowCount } = await q
        .query(
          `INSERT INTO applied_changes (change_id, terminal_id, entity_type, entity_id, version, result)
         SELECT u.id, $2::uuid, u.entity_type, u.entity_id, u.version, u.result
           FROM unnest($1::uuid[], $3::text[], $4::uuid[], $5::int4[], $6::jsonb[])
             AS u(id, entity_type, entity_id, version, result)`,
          // Array literals built here rather than by pg (array-literal.ts): ~1,000 per batch.
          [
            arrayLiteral(records.map((r) => r.changeId)),
            terminalId,
            arrayLiteral(records.map((r) => r.entityType)),
            arrayLiteral(records.map((r) => r.entityId)),
            arrayLiteral(records.map((r) => (r.result.status === "APPLIED" ? r.result.version : null))),
            arrayLiteral(records.map((r) => (r.result.status === "APPLIED" ? null : JSON.stringify(r.result)))),
          ],
        )
        .catch((err: unknown) => {
          if (isTaken(err)) return { rowCount: 0 };
          throw err;
        });
      return rowCount ?? 0;
    },
    async versionsProducedBy(terminalId, entityIds) {
      if (entityIds.length === 0) return [];
      const { rows } = await q.query<{ entityId: string; version: number }>(
        `SELECT entity_id AS "entityId", coalesce(version, (result->>'version')::int) AS version FROM applied_changes
          WHERE terminal_id = $1 AND entity_id = ANY($2::uuid[])
            AND (version IS NOT NULL OR result->>'status' = 'APPLIED'
                 OR result->>'resolution' IN ('TERMINAL_APPLIED', 'MERGED'))`,
        [terminalId, entityIds],
      );
      return rows;
    },
  };
}
