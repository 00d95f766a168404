import type { AuditEntry, AuditOutcome, AuditQuery, OperatorRole } from "@tillsync/shared";
import { decodePageCursor, pageOf } from "./page-cursor";
import type { Queryable } from "./transaction";

/** One entry to write: who did what to which target, how it ended, and why. */
export interface AuditRecord {
  operator: { id: string | null; name: string; role: OperatorRole | null };
  action: AuditEntry["action"];
  target: { type: AuditEntry["target"]["type"]; id: string | null; label?: string | null };
  outcome: AuditOutcome;
  reason?: string | null;
  detail?: string | null;
}

interface AuditRow {
  id: string;
  at: Date;
  operator_id: string | null;
  operator_name: string;
  operator_role: OperatorRole | null;
  action: AuditEntry["action"];
  target_type: AuditEntry["target"]["type"];
  target_id: string | null;
  target_label: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  detail: string | null;
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: r.at.toISOString(),
    operator: { id: r.operator_id, name: r.operator_name, role: r.operator_role },
    action: r.action,
    target: { type: r.target_type, id: r.target_id, label: r.target_label },
    outcome: r.outcome,
    reason: r.reason,
    detail: r.detail,
  };
}

/** The audit log (audit_log): appended by every operator action, read newest first. */
export interface AuditLog {
  record(e: AuditRecord): Promise<void>;
  page(q: AuditQuery): Promise<{ entries: AuditEntry[]; nextCursor: string | null }>;
}

export function auditLog(q: Queryable): AuditLog {
  return {
    async record(e) {
      await q.query(
        `INSERT INTO audit_log (operator_id, operator_name, operator_role, action, target_type, target_id,
                                target_label, outcome, reason, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          e.operator.id,
          e.operator.name,
          e.operator.role,
          e.action,
          e.target.type,
          e.target.id,
          e.target.label ?? null,
          e.outcome,
          e.reason ?? null,
          // A detail is a message for people; a runaway one must not bloat the log.
          e.detail?.slice(0, 1000) ?? null,
        ],
      );
    },
    async page(query) {
      const after = query.cursor ? decodePageCursor(query.cursor) : null;
      const { rows } = await q.query<AuditRow>(
        `SELECT * FROM audit_log
          WHERE ($1::timestamptz IS NULL OR (at, id) < ($1::timestamptz, $2::uuid))
            AND ($3::text IS NULL OR operator_name = $3) AND ($4::text IS NULL OR action = $4)
            AND ($5::text IS NULL OR target_type = $5) AND ($6::text IS NULL OR target_id = $6)
            AND ($7::text IS NULL OR outcome = $7)
            AND ($8::timestamptz IS NULL OR at >= $8) AND ($9::timestamptz IS NULL OR at < $9)
          ORDER BY at DESC, id DESC LIMIT $10`,
        [
          after?.at ?? null,
          after?.id ?? null,
          query.operator ?? null,
          query.action ?? null,
          query.targetType ?? null,
          query.targetId ?? null,
          query.outcome ?? null,
          query.since ?? null,
          query.until ?? null,
          query.limit + 1,
        ],
      );
      const { page, nextCursor } = pageOf(rows, query.limit, (r) => ({ at: r.at.toISOString(), id: r.id }));
      return { entries: page.map(toEntry), nextCursor };
    },
  };
}
