import {
  DEFAULT_SYNC_POLICY,
  type OutboxStatus,
  type PushChange,
  type FirstResult,
  type PushResult,
  type SyncPolicy,
  type SyncTable,
  type FailedChange,
  type TableCounts,
} from "@tillsync/shared";
import { joinTransaction, stmt, withoutCapture, type SqliteDb } from "../db/terminal-db";
import { applyCentralRow } from "../sync/apply-central-row";
import { UUID_SQL } from "../capture/capture-triggers";
import { indexCapturedTail, tailUnionSql } from "../capture/captured-tail";
import { flightKeys, READY, selectBatch } from "./batch-selection";
import { settleSynced, writeVersions, type AppliedAnswer } from "./settle-applied";
import { INDEXED_SQL, NO_STATEMENT_JOURNAL, OPEN_SQL, statusSql } from "./outbox-status-sql";
import { storedPushChange, type PushChangeFields } from "../transport/push-body";

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

/** The change as the push sends it; its rows go out as the stored JSON text (transport/push-body.ts). */
export function toPushChange(r: OutboxRow): PushChange {
  return storedPushChange(
    {
      changeId: r.change_id,
      entityType: r.entity_type,
      entityId: r.entity_id,
      operation: r.operation,
      baseVersion: r.base_version,
      syncPriority: r.sync_priority,
      createdInMode: r.created_in_mode,
      createdAt: r.created_at,
    } as PushChangeFields,
    r.data,
    r.base_data,
  );
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

/**
 * While a backlog drains, settled rows (SYNCED, CONFLICT) are taken out of the entity index
 * together, once this many have gathered: one statement for several batches writes each index
 * page once instead of once per batch (a batch of 1,000 touches ~700 of the index's ~1,400 leaf
 * pages at 100k queued). A push that leaves nothing to send sweeps at once (OutboxStore.sweepSettled).
 */
export const CONFIRM_SWEEP_AT = 8192;

/**
 * Records that a change was offered to central, when it goes back to PENDING (released,
 * rejected, left SYNCING by a dead process): capture folds only into a PENDING row with no
 * attempt (capture-triggers.ts `unsent`), so a change central may have applied under its id
 * never absorbs a later edit (G1). A claim does not write it: SYNCING alone keeps capture
 * out, and `'SYNCING'` is as long as `'PENDING'`, so the claim rewrites each row in place;
 * adding the 24-byte time grew every row of the batch and split nearly every page of it
 * (rows are appended, so pages are full), about twice the pages per batch to write and commit.
 */
const SENT_NOW = `last_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;

/** The outbox as the sync engine sees it: pick batches, record central's answers. */
export class OutboxStore {
  /** Ids settled by this store and still in the entity index (`confirmed = 0`), for the next sweep. */
  private settledOpen: number[] = [];

  constructor(
    private readonly db: SqliteDb,
    private readonly policy: SyncPolicy = DEFAULT_SYNC_POLICY,
    private readonly confirmSweepAt = CONFIRM_SWEEP_AT,
  ) {}

  /**
   * After a crash, rows left SYNCING go back to PENDING; their change ids make resending safe.
   * Settled rows a process left in the entity index (it ended before its sweep) leave it now.
   */
  resetInFlight(): number {
    this.db
      .prepare(
        `UPDATE outbox SET confirmed = 1 WHERE ${OPEN_SQL} AND +status IN (${statusSql("SYNCED")}, ${statusSql("CONFLICT")})`,
      )
      .run();
    this.settledOpen = [];
    return this.db
      .prepare(
        `UPDATE outbox SET status = ${statusSql("PENDING")}, ${SENT_NOW} WHERE status = ${statusSql("SYNCING")} AND ${INDEXED_SQL}`,
      )
      .run().changes;
  }

  /**
   * Takes the settled rows gathered so far out of the entity index: at once when nothing is
   * left to send (an online till after a sale's push: its index stays a few pages, which is what
   * keeps capture cheap), or once CONFIRM_SWEEP_AT have gathered while a backlog drains.
   */
  private sweepSettled(): void {
    if (this.settledOpen.length === 0) return;
    if (this.settledOpen.length < this.confirmSweepAt && this.moreToSend()) return;
    stmt(
      this.db,
      `UPDATE ${NO_STATEMENT_JOURNAL} outbox SET confirmed = 1 WHERE id IN (SELECT value FROM json_each(?))
          AND status IN (${statusSql("SYNCED")}, ${statusSql("CONFLICT")})`,
    ).run(JSON.stringify(this.settledOpen));
    this.settledOpen = [];
  }

  /** Another batch is in flight, or a change waits to be sent now (a rejected one in backoff does not count). */
  private moreToSend(): boolean {
    // The captured tail's rows are ready by its invariant (PENDING, never offered).
    return !!stmt(
      this.db,
      `SELECT 1 FROM outbox WHERE status = ${statusSql("SYNCING")} AND ${INDEXED_SQL}
        UNION ALL SELECT 1 FROM outbox WHERE ${READY}${tailUnionSql(this.db, "1")} LIMIT 1`,
    ).get();
  }

  hasReady(minPriority: number): boolean {
    // Up to three times a cycle (the push, the sales lane): prepared once per connection.
    // The captured tail (a sale the till just committed) is not in the status index: read beside it.
    return !!stmt(
      this.db,
      `SELECT 1 FROM outbox WHERE ${READY} AND sync_priority >= @min${tailUnionSql(this.db, "1", "+sync_priority >= @min")} LIMIT 1`,
    ).get({ min: minPriority });
  }

  /** The next batch, without claiming it (see selectBatch for the orders it keeps). */
  nextBatch(limit: number, minPriority: number, inFlight?: readonly OutboxRow[]): OutboxRow[] {
    const heldBack = inFlight?.length ? flightKeys(this.policy, inFlight) : undefined;
    return selectBatch(this.db, this.policy, limit, minPriority, heldBack);
  }

  /**
   * Picks the next batch and marks it in flight in one IMMEDIATE transaction (G1). Capture
   * folds a later edit into a change that was never offered to central; between a plain read
   * and the mark, a till's UPDATE could fold into a row already read, its new data would
   * never be sent and the row would still be marked SYNCED. Holding the write lock from the
   * read to the mark makes the till's write wait a moment and then append a change of its own.
   * `inFlight`: a batch sent and not yet answered; the new one keeps clear of its rows and
   * their families (selectBatch), so the two may be applied by central in either order.
   */
  claimBatch(limit: number, minPriority: number, inFlight?: readonly OutboxRow[]): OutboxRow[] {
    return this.write(() => {
      indexCapturedTail(this.db); // selectBatch's lookups by row read the entity index
      const batch = this.nextBatch(limit, minPriority, inFlight);
      if (batch.length > 0) this.markSending(batch.map((r) => r.id));
      return batch;
    });
  }

  /** True while `atomically` runs: the steps join its transaction. */
  private joined = false;

  /**
   * Runs `fn` in one IMMEDIATE transaction, the steps' (claimBatch, recordResults) inside it
   * without savepoints of their own (db/terminal-db.ts joinTransaction): a throw from any of
   * them rolls the whole transaction back, so it commits once or not at all.
   */
  atomically<T>(fn: () => T): T {
    if (this.joined) return fn();
    return this.db
      .transaction(() => {
        this.joined = true;
        try {
          return fn();
        } finally {
          this.joined = false;
        }
      })
      .immediate();
  }

  /** A step's own IMMEDIATE transaction, or `atomically`'s when inside it. */
  private write<T>(fn: () => T): T {
    return this.joined ? joinTransaction(this.db, fn) : this.db.transaction(fn).immediate();
  }

  /** In flight; see SENT_NOW for why the time of the attempt is not written here. */
  markSending(ids: number[]): void {
    stmt(
      this.db,
      `UPDATE ${NO_STATEMENT_JOURNAL} outbox SET status = ${statusSql("SYNCING")} WHERE id IN (SELECT value FROM json_each(?))`,
    ).run(JSON.stringify(ids));
  }

  /** The push never got an answer: back to PENDING, attempts unchanged (network retries are unlimited). */
  release(ids: number[]): void {
    stmt(
      this.db,
      `UPDATE outbox SET status = ${statusSql("PENDING")}, ${SENT_NOW}
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
    const reject = stmt(
      this.db,
      `UPDATE outbox SET status = CASE WHEN attempts + 1 >= ? THEN ${statusSql("FAILED")} ELSE ${statusSql("PENDING")} END,
              attempts = attempts + 1, error = ?, ${SENT_NOW},
              next_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ? || ' seconds')
        WHERE id = ? RETURNING status`,
    );
    withoutCapture(
      this.db,
      () => {
        const applied: AppliedAnswer[] = [];
        const conflicts: Array<{ row: OutboxRow; result: Extract<FirstResult, { status: "CONFLICT" }> }> = [];
        for (const res of results) {
          const row = byChange.get(res.changeId);
          if (!row) continue;
          const r = res.status === "DUPLICATE" ? res.original : res;
          if (r.status === "REJECTED") {
            const backoffS = Math.min(retry.backoffCapMs, 2 ** row.attempts * retry.backoffBaseMs) / 1000;
            const st = reject.get(retry.maxAttempts, r.reason, backoffS, row.id) as { status: OutboxStatus };
            if (st.status === "FAILED") outcome.failed++;
            else outcome.retrying++;
          } else if (r.status === "APPLIED") {
            applied.push({ row, version: r.version });
            outcome.synced++;
          } else conflicts.push({ row, result: r });
        }
        // Set-based (outbox/settle-applied.ts); a row changed since it was sent gets the per-change path.
        const marked = settleSynced(this.db, applied);
        for (const id of marked) this.settledOpen.push(id);
        for (const { row, version } of applied) if (!marked.has(row.id)) this.resendRest(row, version);
        const versions = writeVersions(this.db, this.policy, applied);
        // After every confirmation of the batch: central's row taken over below is shown plus the
        // changes central has not confirmed, and a change just confirmed is no longer one (G4).
        for (const { row, result: r } of conflicts) {
          this.settle(row, r.version, "CONFLICT", `${r.strategy}: ${r.resolution}`);
          outcome.conflicts++;
          if (r.centralData) {
            applyCentralRow(this.db, this.policy, row.entity_type, row.entity_id, r.centralData, r.version);
            versions.push({ row, version: r.version });
          }
        }
        this.rebaseLaterChanges(versions);
        this.sweepSettled();
      },
      this.joined,
    );
    return outcome;
  }

  /**
   * Marks answered (SYNCED, or CONFLICT with its outcome) exactly what central judged (G1): the
   * row as it was sent. Should it hold anything else by now, that rest was never sent; it
   * becomes a new change (a new id, based on what central holds) instead of being marked with it.
   */
  private settle(sent: OutboxRow, version: number, status: "SYNCED" | "CONFLICT", error: string | null): void {
    const settled = stmt(
      this.db,
      `UPDATE outbox SET status = ?, error = ?
        WHERE id = ? AND operation = ? AND data IS ? AND base_data IS ?`,
    ).run(status, error, sent.id, sent.operation, sent.data, sent.base_data);
    if (settled.changes === 0) this.resendRest(sent, version);
    else this.settledOpen.push(sent.id);
  }

  /** The sent row holds something else by now: that unsent rest becomes a new change based on central's version. */
  private resendRest(sent: OutboxRow, version: number): void {
    stmt(
      this.db,
      `UPDATE outbox SET change_id = ${UUID_SQL}, status = ${statusSql("PENDING")}, confirmed = 0, error = NULL,
              operation = CASE operation WHEN 'CREATE' THEN 'UPDATE' ELSE operation END,
              base_data = ?, base_version = ?, attempts = 0, last_attempt_at = NULL, next_attempt_at = NULL
        WHERE id = ?`,
    ).run(sent.data, sent.operation === "DELETE" ? null : version, sent.id);
  }

  /**
   * Later changes to a row were made on top of the version this push produced: rebase them.
   * One query finds the few rows that have any, instead of an update per pushed row.
   */
  private rebaseLaterChanges(versions: Array<{ row: OutboxRow; version: number }>): void {
    if (versions.length === 0) return;
    // A row answered more than once in the batch: everything pending after its first answered
    // change is based on its newest version. Per answer instead, an earlier change's version
    // would land on a later change's resent rest (or, when a conflict's answer is listed after
    // an applied one, on the changes waiting behind both).
    const newest = new Map<string, { type: string; id: string; after: number; version: number }>();
    for (const { row, version } of versions) {
      const k = `${row.entity_type}|${row.entity_id}`;
      const seen = newest.get(k);
      if (!seen) newest.set(k, { type: row.entity_type, id: row.entity_id, after: row.id, version });
      else {
        seen.after = Math.min(seen.after, row.id);
        seen.version = Math.max(seen.version, version);
      }
    }
    const byTable = new Map<string, string[]>();
    for (const { type, id } of newest.values()) {
      const ids = byTable.get(type);
      if (ids) ids.push(id);
      else byTable.set(type, [id]);
    }
    // The partial entity index of unconfirmed rows serves both (its predicate spelt out, see
    // capture/outbox-indexes.ts), not a scan of PENDING.
    const find = stmt(
      this.db,
      `SELECT DISTINCT entity_type || '|' || entity_id AS k FROM outbox
        WHERE entity_type = ? AND entity_id IN (SELECT value FROM json_each(?))
          AND ${OPEN_SQL} AND +status = ${statusSql("PENDING")}`,
    );
    const waiting = new Set<string>();
    for (const [table, ids] of byTable)
      for (const r of find.all(table, JSON.stringify(ids)) as Array<{ k: string }>) waiting.add(r.k);
    const rebase = stmt(
      this.db,
      `UPDATE outbox SET base_version = ?
        WHERE entity_type = ? AND entity_id = ? AND ${OPEN_SQL} AND +status = ${statusSql("PENDING")} AND id > ?`,
    );
    for (const [k, { type, id, after, version }] of newest) if (waiting.has(k)) rebase.run(version, type, id, after);
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
          WHERE status = ${statusSql("FAILED")} AND ${INDEXED_SQL} ORDER BY last_attempt_at DESC, id DESC LIMIT ?`,
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
