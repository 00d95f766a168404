import type { FirstResult, SyncTable } from "@tillsync/shared";
import type { Queryable } from "./transaction";

/** A change central has applied before, and the result it first gave (G1). */
export interface AppliedRecord {
  changeId: string;
  terminalId: string;
  result: FirstResult;
}

export interface NewAppliedRecord {
  changeId: string;
  entityType: SyncTable;
  entityId: string;
  result: FirstResult;
}

/** applied_changes: the idempotency record of every pushed change central applied. */
export interface AppliedChangeStore {
  /** The records of those change ids that central has applied before. */
  lookUp(changeIds: string[]): Promise<AppliedRecord[]>;
  /**
   * Records changes as applied by this terminal; returns how many were new. Fewer than given
   * means a concurrent transaction recorded some of the same ids first: ON CONFLICT waits for
   * that transaction and sees its commit, so the caller can tell and judge the batch again.
   */
  record(terminalId: string, records: NewAppliedRecord[]): Promise<number>;
  /**
   * `(entityId, version)` pairs this terminal's applied changes produced for these rows: its
   * own APPLIED results and the conflicts it won or merged. The push reads them so that a
   * terminal never conflicts with itself (an earlier answer it lost still counts as its own).
   */
  versionsProducedBy(terminalId: string, entityIds: string[]): Promise<Array<{ entityId: string; version: number }>>;
}

export function appliedChangeStore(q: Queryable): AppliedChangeStore {
  return {
    async lookUp(changeIds) {
      if (changeIds.length === 0) return [];
      const { rows } = await q.query<AppliedRecord>(
        `SELECT change_id AS "changeId", terminal_id AS "terminalId", result
           FROM applied_changes WHERE change_id = ANY($1::uuid[])`,
        [changeIds],
      );
      return rows;
    },
    async record(terminalId, records) {
      if (records.length === 0) return 0;
      const { rowCount } = await q.query(
        `INSERT INTO applied_changes (change_id, terminal_id, entity_type, entity_id, result)
         SELECT u.id, $2::uuid, u.entity_type, u.entity_id, u.result
           FROM unnest($1::uuid[], $3::text[], $4::uuid[], $5::jsonb[]) AS u(id, entity_type, entity_id, result)
         ON CONFLICT (change_id) DO NOTHING`,
        [
          records.map((r) => r.changeId),
          terminalId,
          records.map((r) => r.entityType),
          records.map((r) => r.entityId),
          records.map((r) => JSON.stringify(r.result)),
        ],
      );
      return rowCount ?? 0;
    },
    async versionsProducedBy(terminalId, entityIds) {
      if (entityIds.length === 0) return [];
      const { rows } = await q.query<{ entityId: string; version: number }>(
        `SELECT entity_id AS "entityId", (result->>'version')::int AS version FROM applied_changes
          WHERE terminal_id = $1 AND entity_id = ANY($2::uuid[])
            AND (result->>'status' = 'APPLIED' OR result->>'resolution' IN ('TERMINAL_APPLIED', 'MERGED'))`,
        [terminalId, entityIds],
      );
      return rows;
    },
  };
}
