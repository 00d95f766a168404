import type {
  ConflictOutcomeKind,
  ConflictStatus,
  ConflictStrategy,
  OperatorResolution,
  SyncTable,
} from "@tillsync/shared";
import type { Conflict, PrismaClient } from "../generated/prisma/client";
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
  markResolved(id: string, resolution: OperatorResolution, resolvedData: Row | null): Promise<void>;
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
    async markResolved(id, resolution, resolvedData) {
      await q.query(
        `UPDATE conflicts SET status = 'RESOLVED', resolution = $2, resolved_data = $3, resolved_at = now() WHERE id = $1`,
        [id, resolution, resolvedData ? JSON.stringify(resolvedData) : null],
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

/** One entry of GET /api/conflicts: Prisma's row (its JSON is the wire shape), its status typed. */
export type ConflictLogEntry = Omit<Conflict, "status"> & { status: ConflictStatus };

/** The conflict log as the admin API lists it. */
export interface ConflictLog {
  /** The newest 500, optionally of one status. */
  list(status?: ConflictStatus): Promise<ConflictLogEntry[]>;
}

export function conflictLog(prisma: PrismaClient): ConflictLog {
  return {
    async list(status) {
      const rows = await prisma.conflict.findMany({
        where: status ? { status } : {},
        orderBy: { createdAt: "desc" },
        take: 500,
      });
      // The column is text in the schema, but only book() and markResolved() above write it,
      // and they write ConflictStatus values only.
      return rows as ConflictLogEntry[];
    },
  };
}
