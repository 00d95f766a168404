import {
  DEFAULT_SYNC_POLICY,
  Priority,
  type OutboxStatus,
  type PushChange,
  type PushResult,
  type SyncPolicy,
  type SyncTable,
  type FailedChange,
  type TableCounts,
} from "@tillsync/shared";
import { stmt, withoutCapture, type SqliteDb } from "../db/terminal-db";
import { applyCentralRow } from "../sync/apply-central-row";
import { QUEUED_SQL, statusSql } from "./outbox-status-sql";

export interface OutboxRow {
  id: number;
  change_id: string;
  entity_type: SyncTable;
  entity_id: string;
  operation: "CREATE" | "UPDATE" | "DELETE";
  data: string | null;
  base_data: string | null;
  base_version: number | null;
  sync_priority: number;
  created_in_mode: "ONLINE" | "OFFLINE";
  status: OutboxStatus;
  attempts: number;
  created_at: string;
}

export function toPushChange(r: OutboxRow): PushChange {
  return {
    changeId: r.change_id,
    entityType: r.entity_type,
    entityId: r.entity_id,
    operation: r.operation,
    data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null,
    baseData: r.base_data ? (JSON.parse(r.base_data) as Record<string, unknown>) : null,
    baseVersion: r.base_version,
    syncPriority: r.sync_priority,
    createdInMode: r.created_in_mode,
    createdAt: r.created_at,
  } as PushChange;
}

export interface PushOutcome {
  synced: number;
  conflicts: number;
  retrying: number;
  failed: number;
}

/** How a change central rejected is retried (SYNC_RETRY_ATTEMPTS, SYNC_REJECT_BACKOFF_*). */
export interface RejectRetry {
  /** Rejections before the change parks as FAILED. */
  maxAttempts: number;
  /** The n-th retry waits min(cap, base·2^n). */
  backoffBaseMs: number;
  backoffCapMs: number;
}

const READY = `status = ${statusSql("PENDING")} AND (next_attempt_at IS NULL OR next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** The outbox as the sync engine sees it: pick batches, record central's answers. */
export class OutboxStore {
  constructor(
    private readonly db: SqliteDb,
    private readonly policy: SyncPolicy = DEFAULT_SYNC_POLICY,
  ) {}

  /** After a crash, rows left SYNCING go back to PENDING; their change ids make resending safe. */
  resetInFlight(): number {
    return this.db
      .prepare(`UPDATE outbox SET status = ${statusSql("PENDING")} WHERE status = ${statusSql("SYNCING")}`)
      .run().changes;
  }

  hasReady(minPriority: number): boolean {
    return !!this.db.prepare(`SELECT 1 FROM outbox WHERE ${READY} AND sync_priority >= ? LIMIT 1`).get(minPriority);
  }

  /**
   * The next batch by priority, then age. A child whose parent still waits in the outbox
   * brings the parent along (G5); if the parent does not fit, the child waits instead.
   *
   * The pull-along ignores `minPriority` and may take the batch past `limit`, both on
   * purpose. A parent is often in a lower band than its child (a PENDING order, 9, under its
   * CRITICAL payment, 10): a CRITICAL-only cycle would never pick it, so the child brings it.
   * And when an empty batch cannot hold a child with its waiting parent changes, those parent
   * changes go alone, all of them even past `limit`, and the child follows in the next batch:
   * skipping them instead would leave a parent with more queued changes than `limit` holding
   * its children back for ever. A row's queued changes are one per send that got no answer
   * (those never absorb later edits) plus the latest edit, so such a batch stays a handful.
   */
  nextBatch(limit: number, minPriority: number): OutboxRow[] {
    // One index range scan per priority level, highest first: ORDER BY sync_priority DESC, id
    // over the ascending (status, sync_priority, id) index would sort every pending row.
    const picked: OutboxRow[] = [];
    const level = stmt(this.db, `SELECT * FROM outbox WHERE ${READY} AND sync_priority = ? ORDER BY id LIMIT ?`);
    for (let prio = Priority.CRITICAL; prio >= minPriority && picked.length < limit; prio--) {
      picked.push(...(level.all(prio, limit - picked.length) as OutboxRow[]));
    }
    const waitingParents = this.waitingParents(picked);
    const batch = new Map<number, OutboxRow>();
    for (const row of picked) {
      if (batch.has(row.id)) continue;
      const parent = this.policy[row.entity_type].parent;
      const ref = parent ? this.parentIdOf(row, parent.foreignKey) : undefined;
      const waiting =
        parent && ref ? (waitingParents.get(`${parent.table}|${ref}`) ?? []).filter((p) => p.id < row.id) : [];
      if (waiting.some((p) => p.status === "SYNCING")) continue; // parent in flight elsewhere: wait
      const missing = waiting.filter((p) => !batch.has(p.id));
      if (batch.size + missing.length + 1 > limit && batch.size > 0) continue;
      for (const p of missing) batch.set(p.id, p);
      if (batch.size + 1 > limit && missing.length > 0) break; // parents took the room
      batch.set(row.id, row);
    }
    return [...batch.values()].sort((a, b) => a.id - b.id);
  }

  /** Unsynced outbox rows of the parents the picked children refer to, in one query per parent table. */
  private waitingParents(picked: OutboxRow[]): Map<string, OutboxRow[]> {
    const wanted = new Map<SyncTable, Set<string>>();
    for (const row of picked) {
      const parent = this.policy[row.entity_type].parent;
      const ref = parent ? this.parentIdOf(row, parent.foreignKey) : undefined;
      if (!parent || !ref) continue;
      let set = wanted.get(parent.table);
      if (!set) wanted.set(parent.table, (set = new Set()));
      set.add(ref);
    }
    const out = new Map<string, OutboxRow[]>();
    for (const [table, ids] of wanted) {
      const rows = stmt(
        this.db,
        `SELECT * FROM outbox WHERE entity_type = ? AND status IN ${QUEUED_SQL}
            AND entity_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
      ).all(table, JSON.stringify([...ids])) as OutboxRow[];
      for (const r of rows) {
        const key = `${table}|${r.entity_id}`;
        const list = out.get(key);
        if (list) list.push(r);
        else out.set(key, [r]);
      }
    }
    return out;
  }

  private parentIdOf(row: OutboxRow, fk: string): string | undefined {
    const src = row.data ?? row.base_data;
    return src ? ((JSON.parse(src) as Record<string, unknown>)[fk] as string | undefined) : undefined;
  }

  markSending(ids: number[]): void {
    stmt(
      this.db,
      `UPDATE outbox SET status = ${statusSql("SYNCING")}, last_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        WHERE id IN (SELECT value FROM json_each(?))`,
    ).run(JSON.stringify(ids));
  }

  /** The push never got an answer: back to PENDING, attempts unchanged (network retries are unlimited). */
  release(ids: number[]): void {
    stmt(
      this.db,
      `UPDATE outbox SET status = ${statusSql("PENDING")}
        WHERE id IN (SELECT value FROM json_each(?)) AND status = ${statusSql("SYNCING")}`,
    ).run(JSON.stringify(ids));
  }

  /**
   * Records central's answers in one transaction: synced rows take central's version (and,
   * after a conflict, central's row), and later pending changes of the same row are rebased
   * onto it; rejected rows retry with backoff until `retry.maxAttempts`, then park as FAILED (G6).
   */
  recordResults(rows: OutboxRow[], results: PushResult[], retry: RejectRetry): PushOutcome {
    const byChange = new Map(rows.map((r) => [r.change_id, r]));
    const outcome: PushOutcome = { synced: 0, conflicts: 0, retrying: 0, failed: 0 };
    const done = stmt(this.db, `UPDATE outbox SET status = ?, error = ? WHERE id = ?`);
    const reject = stmt(
      this.db,
      `UPDATE outbox SET status = CASE WHEN attempts + 1 >= ? THEN ${statusSql("FAILED")} ELSE ${statusSql("PENDING")} END,
              attempts = attempts + 1, error = ?,
              next_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ? || ' seconds')
        WHERE id = ? RETURNING status`,
    );
    withoutCapture(this.db, () => {
      const synced: number[] = [];
      const versions: Array<{ row: OutboxRow; version: number }> = [];
      for (const res of results) {
        const row = byChange.get(res.changeId);
        if (!row) continue;
        const r = res.status === "DUPLICATE" ? res.original : res;
        if (r.status === "REJECTED") {
          const backoffS = Math.min(retry.backoffCapMs, 2 ** row.attempts * retry.backoffBaseMs) / 1000;
          const st = reject.get(retry.maxAttempts, r.reason, backoffS, row.id) as { status: OutboxStatus };
          if (st.status === "FAILED") outcome.failed++;
          else outcome.retrying++;
          continue;
        }
        const p = this.policy[row.entity_type];
        if (r.status === "APPLIED") {
          synced.push(row.id);
          outcome.synced++;
          // Append-only rows are never edited, so their version is never a base for anything.
          if (!p.appendOnly && row.operation !== "DELETE" && p.columns.some((c) => c.name === "version")) {
            stmt(this.db, `UPDATE ${row.entity_type} SET version = ? WHERE id = ?`).run(r.version, row.entity_id);
            versions.push({ row, version: r.version });
          }
        } else {
          done.run("CONFLICT" satisfies OutboxStatus, `${r.strategy}: ${r.resolution}`, row.id);
          outcome.conflicts++;
          if (r.centralData) {
            applyCentralRow(this.db, this.policy, row.entity_type, row.entity_id, r.centralData, r.version);
            versions.push({ row, version: r.version });
          }
        }
      }
      stmt(
        this.db,
        `UPDATE outbox SET status = ${statusSql("SYNCED")}, error = NULL WHERE id IN (SELECT value FROM json_each(?))`,
      ).run(JSON.stringify(synced));
      this.rebaseLaterChanges(versions);
    });
    return outcome;
  }

  /**
   * Later changes to a row were made on top of the version this push produced: rebase them.
   * One query finds the few rows that have any, instead of an update per pushed row.
   */
  private rebaseLaterChanges(versions: Array<{ row: OutboxRow; version: number }>): void {
    if (versions.length === 0) return;
    const byTable = new Map<string, string[]>();
    for (const { row } of versions) {
      const ids = byTable.get(row.entity_type);
      if (ids) ids.push(row.entity_id);
      else byTable.set(row.entity_type, [row.entity_id]);
    }
    // entity_type first, so the (entity_type, entity_id) index serves it, not a scan of PENDING.
    const find = stmt(
      this.db,
      `SELECT DISTINCT entity_type || '|' || entity_id AS k FROM outbox
        WHERE entity_type = ? AND entity_id IN (SELECT value FROM json_each(?)) AND +status = ${statusSql("PENDING")}`,
    );
    const waiting = new Set<string>();
    for (const [table, ids] of byTable)
      for (const r of find.all(table, JSON.stringify(ids)) as Array<{ k: string }>) waiting.add(r.k);
    const rebase = stmt(
      this.db,
      `UPDATE outbox SET base_version = ?
        WHERE entity_type = ? AND entity_id = ? AND status = ${statusSql("PENDING")} AND id > ?`,
    );
    for (const { row, version } of versions) {
      if (waiting.has(`${row.entity_type}|${row.entity_id}`))
        rebase.run(version, row.entity_type, row.entity_id, row.id);
    }
  }

  /** Per-table counts for `status` and heartbeats. */
  counts(): Partial<Record<SyncTable, TableCounts>> {
    const rows = this.db
      .prepare(`SELECT entity_type, status, count(*) AS n FROM outbox GROUP BY entity_type, status`)
      .all() as Array<{ entity_type: SyncTable; status: OutboxStatus; n: number }>;
    const out: Partial<Record<SyncTable, TableCounts>> = {};
    for (const r of rows) {
      const c = (out[r.entity_type] ??= { pending: 0, failed: 0, synced: 0, conflicts: 0 });
      if (r.status === "PENDING" || r.status === "SYNCING") c.pending += r.n;
      else if (r.status === "FAILED") c.failed += r.n;
      else if (r.status === "SYNCED") c.synced += r.n;
      else if (r.status === "CONFLICT") c.conflicts += r.n;
    }
    return out;
  }

  /** FAILED changes with their errors, most recently tried first (heartbeats report them). */
  failedChanges(limit: number): FailedChange[] {
    const rows = this.db
      .prepare(
        `SELECT change_id, entity_type, entity_id, operation, error, attempts, last_attempt_at FROM outbox
          WHERE status = ${statusSql("FAILED")} ORDER BY last_attempt_at DESC, id DESC LIMIT ?`,
      )
      .all(limit) as Array<{
      change_id: string;
      entity_type: SyncTable;
      entity_id: string;
      operation: FailedChange["operation"];
      error: string | null;
      attempts: number | null;
      last_attempt_at: string | null;
    }>;
    return rows.map((r) => ({
      changeId: r.change_id,
      entityType: r.entity_type,
      entityId: r.entity_id,
      operation: r.operation,
      error: r.error ?? "rejected by central",
      attempts: r.attempts,
      lastAttemptAt: isoOrNull(r.last_attempt_at),
    }));
  }
}

/** SQLite keeps times as text; the wire wants ISO-8601 with a zone (or nothing). */
function isoOrNull(t: string | null): string | null {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
