import {
  CursorExpiredError,
  DEFAULT_SYNC_POLICY,
  FeedResetError,
  feedTables,
  START_CURSOR,
  type FeedCursor,
  type SyncPolicy,
} from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import { stmt, withoutCapture, type SqliteDb } from "../db/terminal-db";
import type { OutboxStore, RejectRetry } from "../outbox/outbox-store";
import { rowsWithUnpushedChanges } from "../sync/apply-central-row";
import { ledgersInto, UnpushedLedgerDeltas } from "../sync/ledger-counters";
import { applyPulledPage } from "../sync/pull-applier";
import type { CentralTransport } from "../transport/central-transport";
import { FeedRecoveryInterrupted } from "./recovery-interrupted";
import { resendHeldChanges } from "./resend-held";
import { bootstrapFromSnapshot, needsBootstrap, type SnapshotBootstrapResult } from "./snapshot-bootstrap";

/**
 * Recovery when central's feed is not the one this terminal's cursor belongs to (issue 12 §4,
 * §6), run by the engine in place of a pull:
 *
 *   FEED_RESET (409: central restored from a backup or re-initialised)
 *     1. re-send every change the outbox still holds (resend-held.ts; central dedupes by id)
 *     2. re-download, as for CURSOR_EXPIRED
 *   CURSOR_EXPIRED (410: the cursor is older than the compacted feed)
 *     2. re-download what central owns from cursor 0 (page by page, each page with its cursor
 *        and epoch), then remove the rows central no longer has, except rows with local
 *        changes central has not confirmed: those, and unpushed stock movements, are kept (G4).
 *
 * The till keeps its catalogue while this runs (rows are replaced, not emptied first). A
 * recovery interrupted at any point is started again by the next cycle (sync_state
 * 'feed_recovery_pending'); every step is safe to repeat. The outcome is kept in
 * 'feed_recovery_last' (shown by `status`) and as a sync_history row of its kind.
 */

export type FeedLossKind = "FEED_RESET" | "CURSOR_EXPIRED";

export interface FeedRecoveryReport {
  kind: FeedLossKind;
  /** Central's reason (EPOCH_CHANGED, AHEAD_OF_FEED, COMPACTED), when it gave one. */
  reason: string | null;
  finishedAt: string;
  resent: number;
  /** Of those, how many central no longer had and applied again. */
  reapplied: number;
  downloaded: number;
  /** Local rows of central's tables that central no longer has. */
  removed: number;
  epoch: string | null;
}

const PENDING_KEY = "feed_recovery_pending";
const LAST_KEY = "feed_recovery_last";

/** What central's error says was lost, or undefined for any other error. */
export function feedLossOf(err: unknown): { kind: FeedLossKind; reason: string | null } | undefined {
  if (err instanceof FeedResetError) return { kind: "FEED_RESET", reason: err.details?.reason ?? null };
  if (err instanceof CursorExpiredError) return { kind: "CURSOR_EXPIRED", reason: err.details?.reason ?? null };
  return undefined;
}

/** A recovery an earlier cycle started and did not finish, if any. */
export function pendingFeedRecovery(db: SqliteDb): { kind: FeedLossKind; reason: string | null } | undefined {
  const v = new SyncStateStore(db).get(PENDING_KEY);
  return v ? (JSON.parse(v) as { kind: FeedLossKind; reason: string | null }) : undefined;
}

/** The last recovery's outcome (for `status`), or null. */
export function lastFeedRecovery(db: SqliteDb): FeedRecoveryReport | null {
  const v = new SyncStateStore(db).get(LAST_KEY);
  return v ? (JSON.parse(v) as FeedRecoveryReport) : null;
}

export interface FeedRecoveryDeps {
  db: SqliteDb;
  /** Aborted when the agent stops (SIGTERM): checked between batches and pages. */
  signal?: AbortSignal;
  outbox: Pick<OutboxStore, "recordResults">;
  transport: CentralTransport;
  batchSize: number;
  pageSize: number;
  rejectRetry: RejectRetry;
  policy?: SyncPolicy;
  /** Told when a new terminal loaded central's snapshot (before the feed pull that follows it). */
  onBootstrap?: (r: SnapshotBootstrapResult) => void;
}

export async function recoverLostFeed(
  deps: FeedRecoveryDeps,
  loss: { kind: FeedLossKind; reason: string | null },
): Promise<FeedRecoveryReport> {
  const { db } = deps;
  const kv = new SyncStateStore(db);
  kv.set(PENDING_KEY, JSON.stringify(loss));
  const started = new Date().toISOString();
  const resend =
    loss.kind === "FEED_RESET"
      ? await resendHeldChanges(db, deps.outbox, deps.transport, deps)
      : { sent: 0, applied: 0 };
  const dl = await redownload(db, deps.transport, {
    pageSize: deps.pageSize,
    policy: deps.policy,
    signal: deps.signal,
  });
  const report: FeedRecoveryReport = {
    ...loss,
    finishedAt: new Date().toISOString(),
    resent: resend.sent,
    reapplied: resend.applied,
    downloaded: dl.rows,
    removed: dl.removed,
    epoch: dl.epoch,
  };
  db.transaction(() => {
    kv.set(LAST_KEY, JSON.stringify(report));
    db.prepare(`DELETE FROM sync_state WHERE key = ?`).run(PENDING_KEY);
    db.prepare(
      `INSERT INTO sync_history (kind, started_at, finished_at, pushed, pulled, conflicts, error)
       VALUES (?, ?, ?, ?, ?, 0, NULL)`,
    ).run(loss.kind, started, report.finishedAt, report.resent, report.downloaded);
  })();
  await deps.transport.acknowledge(kv.cursor(), dl.epoch ?? undefined);
  return report;
}

/**
 * The engine's pull: `pull()` unless an earlier recovery is unfinished; when central answers
 * that the feed is not this cursor's (409 FEED_RESET, 410 CURSOR_EXPIRED), recovers instead.
 * A new terminal (no cursor yet) first loads central's snapshot, then pulls the feed after
 * the snapshot's cursor; a central without snapshots (404) is replayed from cursor 0.
 * Returns the recovery's report, or undefined when the pull went as usual.
 */
export async function pullOrRecover(
  deps: FeedRecoveryDeps,
  pull: () => Promise<void>,
): Promise<FeedRecoveryReport | undefined> {
  let loss = pendingFeedRecovery(deps.db);
  if (!loss) {
    try {
      if (needsBootstrap(deps.db)) {
        const boot = await bootstrapFromSnapshot(deps.db, deps.transport, { policy: deps.policy, signal: deps.signal });
        if (boot) {
          deps.onBootstrap?.(boot);
          // Central tracks each terminal's lag and compacts the feed below the cursors acknowledged.
          await deps.transport.acknowledge(boot.cursor, boot.epoch);
        }
      }
      await pull();
      return undefined;
    } catch (err) {
      loss = feedLossOf(err);
      if (!loss) throw err;
    }
  }
  return recoverLostFeed(deps, loss);
}

/** The human-readable line of a recovery (daemon log, `status`). */
export function describeFeedRecovery(r: FeedRecoveryReport): string {
  const why =
    r.kind === "FEED_RESET"
      ? "central's feed was reset (restored from a backup or re-initialised)"
      : "this terminal's cursor was older than central's compacted feed";
  const resent = r.kind === "FEED_RESET" ? `re-sent ${r.resent} change(s) (${r.reapplied} central had lost), ` : "";
  return `${why}${r.reason ? ` [${r.reason}]` : ""}: ${resent}re-downloaded ${r.downloaded} row(s), removed ${r.removed} central no longer has; unpushed local changes kept (at ${r.finishedAt})`;
}

/**
 * Loads central's snapshot (or, from a central without one, pulls the whole feed from cursor
 * 0), then sweeps what central did not send (see the top).
 */
async function redownload(
  db: SqliteDb,
  transport: CentralTransport,
  opts: { pageSize: number; policy?: SyncPolicy; signal?: AbortSignal },
): Promise<{ rows: number; removed: number; epoch: string | null }> {
  const policy = opts.policy ?? DEFAULT_SYNC_POLICY;
  const seen = new Set<string>();
  const snap = await bootstrapFromSnapshot(db, transport, {
    policy,
    signal: opts.signal,
    onRow: (key) => seen.add(key),
  });
  if (snap) {
    const removed = withoutCapture(db, () => sweep(db, policy, seen));
    return { rows: snap.rows, removed, epoch: snap.epoch };
  }
  let cursor: FeedCursor = START_CURSOR;
  let epoch: string | undefined;
  let rows = 0;
  for (;;) {
    if (opts.signal?.aborted) throw new FeedRecoveryInterrupted();
    // No epoch on the first page: cursor 0 is valid in any feed. The rest stay in its epoch.
    const page = await transport.pull(cursor, opts.pageSize, undefined, epoch);
    rows += applyPulledPage(db, page, policy);
    for (const c of page.changes) if (c.operation === "UPSERT") seen.add(`${c.entityType}|${c.entityId}`);
    cursor = page.nextCursor;
    epoch = page.epoch ?? epoch;
    if (!page.hasMore) break;
  }
  const removed = withoutCapture(db, () => sweep(db, policy, seen));
  return { rows, removed, epoch: epoch ?? null };
}

/** Deletes rows of central's tables central did not send, unless local changes still need them. */
function sweep(db: SqliteDb, policy: SyncPolicy, seen: Set<string>): number {
  const unpushed = rowsWithUnpushedChanges(db);
  const ledgerDeltas = new UnpushedLedgerDeltas(db);
  let removed = 0;
  for (const p of feedTables(policy)) {
    const ledgers = ledgersInto(policy, p.table);
    const drop = stmt(db, `DELETE FROM ${p.table} WHERE id = ?`);
    const cols = ledgers.length > 0 ? "*" : "id";
    for (const row of stmt(db, `SELECT ${cols} FROM ${p.table}`).all() as Array<Record<string, unknown>>) {
      const key = `${p.table}|${String(row.id)}`;
      if (seen.has(key) || unpushed.has(key)) continue;
      // A stock row the till made for its own unpushed movements stays until they are confirmed.
      if (ledgers.some((l) => ledgerDeltas.of(l, row) !== 0)) continue;
      removed += drop.run(row.id as string).changes;
    }
  }
  return removed;
}
