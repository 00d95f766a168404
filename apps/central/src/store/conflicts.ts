import type {
  ConflictOutcomeKind,
  ConflictStatus,
  ConflictStrategy,
  OperatorResolution,
  SyncTable,
} from "@tillsync/shared";
import type { ConflictEntry as ApiConflictEntry, ConflictQuery } from "@tillsync/shared";
import { decodePageCursor, pageOf } from "./page-cursor";
import type { Queryable } from "./transaction";

type Row = Record<string, unknown>;

/** One conflict met by a push, with both sides, as the log keeps it. */
export interface ConflictEntry {
  id: string;
  changeId: string;
  entityType: SyncTable;
  entityId: string;
  strategy: ConflictStrategy;
  outcome: ConflictOutcomeKind;
  baseVersion: number | null;
  centralVersion: number | null;
  terminalData: unknown;
  /** Central's row before the change, or null when it had none. */
  centralData: Row | null;
}

/** A conflict being settled by an operator, locked until the transaction ends. */
export interface ConflictUnderResolution {
  id: string;
  status: ConflictStatus;
  entityType: SyncTable;
  entityId: string;
  terminalData: Row | null;
}

/** The conflict log in plain SQL: usable on the pool or inside a transaction. */
export interface ConflictQueries {
  /** Logs conflicts of one terminal's push: PENDING ones wait for an operator, the rest are RESOLVED now. */
  book(terminalId: string, entries: ConflictEntry[]): Promise<void>;
  lockForResolution(id: string): Promise<ConflictUnderResolution | undefined>;
  markResolved(
    id: string,
    resolution: OperatorResolution,
    resolvedData: Row | null,
    by?: { name: string; reason?: string | null },
  ): Promise<void>;
  /** Pending conflicts per table, of one terminal or of all. */
  pendingCounts(terminalId?: string): Promise<Array<{ entityType: SyncTable; count: number }>>;
}

export function conflictQueries(q: Queryable): ConflictQueries {
  return {
    async book(terminalId, cs) {
      if (cs.length === 0) return;
      const pending = (c: ConflictEntry) => c.outcome === "PENDING";
      await q.query(
        `INSERT INTO conflicts (id, terminal_id, change_id, entity_type, entity_id, strategy, status,
                                base_version, central_version, terminal_data, central_data, resolution, resolved_at)
         SELECT u.id, $2::uuid, u.change_id, u.entity_type, u.entity_id, u.strategy, u.status,
                u.base_version, u.central_version, u.terminal_data, u.central_data, u.resolution,
                CASE WHEN u.status = 'PENDING' THEN NULL ELSE now() END
           FROM unnest($1::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                       $8::int4[], $9::int4[], $10::jsonb[], $11::jsonb[], $12::text[])
             AS u(id, change_id, entity_type, entity_id, strategy, status, base_version, central_version,
                  terminal_data, central_data, resolution)`,
        [
          cs.map((c) => c.id),
          terminalId,
          cs.map((c) => c.changeId),
          cs.map((c) => c.entityType),
          cs.map((c) => c.entityId),
          cs.map((c) => c.strategy),
          cs.map((c): ConflictStatus => (pending(c) ? "PENDING" : "RESOLVED")),
          cs.map((c) => c.baseVersion),
          cs.map((c) => c.centralVersion),
          cs.map((c) => JSON.stringify(c.terminalData)),
          cs.map((c) => (c.centralData ? JSON.stringify(c.centralData) : null)),
          cs.map((c) => (pending(c) ? null : c.outcome)),
        ],
      );
    },
    async lockForResolution(id) {
      const { rows } = await q.query<ConflictUnderResolution>(
        `SELECT id, status, entity_type AS "entityType", entity_id AS "entityId", terminal_data AS "terminalData"
           FROM conflicts WHERE id = $1 FOR UPDATE`,
        [id],
      );
      return rows[0];
    },
    async markResolved(id, resolution, resolvedData, by) {
      await q.query(
        `UPDATE conflicts SET status = 'RESOLVED', resolution = $2, resolved_data = $3, resolved_at = now(),
                resolved_by = $4, reason = $5
          WHERE id = $1`,
        [id, resolution, resolvedData ? JSON.stringify(resolvedData) : null, by?.name ?? null, by?.reason ?? null],
      );
    },
    async pendingCounts(terminalId) {
      const { rows } = await q.query<{ entityType: SyncTable; count: number }>(
        `SELECT entity_type AS "entityType", count(*)::int AS count FROM conflicts
          WHERE status = 'PENDING' AND ($1::uuid IS NULL OR terminal_id = $1::uuid) GROUP BY entity_type`,
        [terminalId ?? null],
      );
      return rows;
    },
  };
}

interface ConflictRow {
  id: string;
  terminal_id: string;
  change_id: string;
  entity_type: ApiConflictEntry["entityType"];
  entity_id: string;
  strategy: string;
  status: ConflictStatus;
  base_version: number | null;
  central_version: number | null;
  terminal_data: Row | null;
  central_data: Row | null;
  resolution: ApiConflictEntry["resolution"];
  resolved_data: Row | null;
  created_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  reason: string | null;
  terminal_name: string | null;
}

function toApiEntry(r: ConflictRow): ApiConflictEntry {
  return {
    id: r.id,
    terminalId: r.terminal_id,
    changeId: r.change_id,
    entityType: r.entity_type,
    entityId: r.entity_id,
    strategy: r.strategy,
    status: r.status,
    baseVersion: r.base_version,
    centralVersion: r.central_version,
    terminalData: r.terminal_data,
    centralData: r.central_data,
    resolution: r.resolution,
    resolvedData: r.resolved_data,
    createdAt: r.created_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    resolvedBy: r.resolved_by,
    reason: r.reason,
    ...(r.terminal_name !== null ? { terminalName: r.terminal_name } : {}),
  };
}

const SELECT_ENTRY = `SELECT c.*, t.name AS terminal_name FROM conflicts c LEFT JOIN terminals t ON t.id = c.terminal_id`;

/** The conflict log as the admin API reads it (GET /api/conflicts, the /admin events). */
export interface ConflictLog {
  /** Newest first, filtered, one page; `total` counts every match. */
  page(q: ConflictQuery): Promise<{ conflicts: ApiConflictEntry[]; nextCursor: string | null; total: number }>;
  get(id: string): Promise<ApiConflictEntry | undefined>;
  /** These conflicts (what a push just logged), oldest first. */
  byIds(ids: string[]): Promise<ApiConflictEntry[]>;
}

export function conflictLog(q: Queryable): ConflictLog {
  return {
    async page(query) {
      const after = query.cursor ? decodePageCursor(query.cursor) : null;
      const filters = `($1::text IS NULL OR c.status = $1) AND ($2::text IS NULL OR c.entity_type = $2)
        AND ($3::uuid IS NULL OR c.terminal_id = $3)`;
      const args = [query.status ?? null, query.entityType ?? null, query.terminalId ?? null];
      const { rows } = await q.query<ConflictRow>(
        `${SELECT_ENTRY} WHERE ${filters}
            AND ($4::timestamptz IS NULL OR (c.created_at, c.id) < ($4::timestamptz, $5::uuid))
          ORDER BY c.created_at DESC, c.id DESC LIMIT $6`,
        [...args, after?.at ?? null, after?.id ?? null, query.limit + 1],
      );
      const { rows: count } = await q.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM conflicts c WHERE ${filters}`,
        args,
      );
      const { page, nextCursor } = pageOf(rows, query.limit, (r) => ({ at: r.created_at.toISOString(), id: r.id }));
      return { conflicts: page.map(toApiEntry), nextCursor, total: count[0]?.n ?? 0 };
    },
    async get(id) {
      const { rows } = await q.query<ConflictRow>(`${SELECT_ENTRY} WHERE c.id = $1`, [id]);
      return rows[0] ? toApiEntry(rows[0]) : undefined;
    },
    async byIds(ids) {
      if (ids.length === 0) return [];
      const { rows } = await q.query<ConflictRow>(
        `${SELECT_ENTRY} WHERE c.id = ANY($1::uuid[]) ORDER BY c.created_at`,
        [ids],
      );
      return rows.map(toApiEntry);
    },
  };
}
