import {
  DEFAULT_SYNC_POLICY,
  ledgerTables,
  START_CURSOR,
  type FeedCursor,
  type SnapshotRow,
  type SyncPolicy,
  type SyncTable,
} from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import { stmt, withoutCapture, type SqliteDb } from "../db/terminal-db";
import { applyCentralRow, rowsWithUnpushedChanges } from "../sync/apply-central-row";
import { discardLocalEdits } from "../sync/discard-local-edits";
import { dropTillCounterRows, UnpushedLedgerDeltas } from "../sync/ledger-counters";
import { FEED_EPOCH_KEY } from "../sync/pull-applier";
import type { CentralTransport } from "../transport/central-transport";
import { FeedRecoveryInterrupted } from "./recovery-interrupted";
import { SnapshotReader } from "./snapshot-reader";

/**
 * Bootstrap from central's snapshot (GET /api/sync/snapshot) instead of replaying the feed
 * page by page: the rows stream in, are checked line by line (snapshot-reader.ts), and are
 * written in large transactions with capture off, exactly as the pull applies central's rows
 * (applyCentralRow: unpushed stock movements and merge deltas kept, G4; nothing captured, G7).
 *
 * Crash safety: the cursor and epoch are stored only in the transaction of the last rows,
 * after the end line proved the stream complete. A bootstrap that stops earlier (crash, cut
 * connection, a malformed line) leaves the cursor where it was, and the next cycle starts it
 * again; rows written by then are central's rows, upserted by id, so writing them again is
 * harmless. A malformed line is refused before its batch is written.
 */

/** sync_state key set when a snapshot bootstrap finished: a terminal bootstraps this way once. */
export const SNAPSHOT_DONE_KEY = "snapshot_bootstrap";

/**
 * Rows per SQLite transaction. Each commit writes every index page the batch touched, and
 * random ids touch most of them: at 5,000 rows a 200k-row bootstrap spent a third of its CPU
 * committing (bench/README.md). 20,000 rows hold the write lock for about 0.2–0.3 s on the
 * bench machine, which a till's write waits out (busy_timeout); central sends rows in id order
 * so the primary-key index grows at its end.
 */
export const SNAPSHOT_BATCH_ROWS = 20_000;

export interface SnapshotBootstrapResult {
  rows: number;
  cursor: FeedCursor;
  epoch: string;
}

export interface SnapshotBootstrapOptions {
  policy?: SyncPolicy;
  /** Aborted when the agent stops: checked between chunks. */
  signal?: AbortSignal;
  batchRows?: number;
  /** Told every row written (`table|id`), for a recovery's sweep of what central no longer has. */
  onRow?: (key: string) => void;
}

/** A terminal that has never pulled: no cursor yet and no snapshot taken. */
export function needsBootstrap(db: SqliteDb): boolean {
  const kv = new SyncStateStore(db);
  return kv.cursor() === START_CURSOR && kv.get(SNAPSHOT_DONE_KEY) === undefined;
}

/** What a bootstrap knows of the counter tables between its batches. */
interface CounterState {
  /** Rows it wrote into each counter table so far (central's, each id once). */
  written: Map<SyncTable, number>;
  /**
   * PRAGMA data_version after a batch that found only central's rows there: while no other
   * connection has committed since, the next batch needs no count either (the count scans the
   * table: 28 ms at 1M rows).
   */
  onlyCentralAt?: number;
}

/**
 * Before a batch's counter rows are written, removes the rows the till made up for their keys
 * (dropTillCounterRow), once for the batch instead of one DELETE per counter row. Usually there
 * are none: a counter table holding no more rows than this bootstrap wrote into it holds only
 * central's, since a row of those the till deleted is back by now (discardLocalEdits), so the
 * DELETE is skipped; a re-download (rows from before) or a till that sold a product not yet
 * loaded gets the one set-based DELETE.
 */
function dropTillCounterRowsOnce(
  db: SqliteDb,
  policy: SyncPolicy,
  rows: SnapshotRow[],
  sums: UnpushedLedgerDeltas,
  state: CounterState,
): void {
  const version = db.pragma("data_version", { simple: true }) as number;
  const quiet = state.onlyCentralAt === version;
  let onlyCentral = true;
  for (const l of ledgerTables(policy)) {
    const t = l.ledger.counterTable;
    const held = quiet ? 0 : (stmt(db, `SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    if (held <= (state.written.get(t) ?? 0)) {
      sums.markTillRowsDropped(l);
      continue;
    }
    onlyCentral = false;
    const counterRows = rows.filter((r) => r.entityType === t).map((r) => r.data);
    dropTillCounterRows(db, l, counterRows, sums);
  }
  state.onlyCentralAt = onlyCentral ? version : undefined;
}

function applyRows(
  db: SqliteDb,
  policy: SyncPolicy,
  rows: SnapshotRow[],
  counters: CounterState,
  done?: { cursor: FeedCursor; epoch: string; total: number },
): void {
  withoutCapture(db, () => {
    discardLocalEdits(db, policy);
    const ledgerDeltas = new UnpushedLedgerDeltas(db);
    const unpushed = rowsWithUnpushedChanges(db);
    dropTillCounterRowsOnce(db, policy, rows, ledgerDeltas, counters);
    for (const r of rows) {
      applyCentralRow(db, policy, r.entityType, r.data.id as string, r.data, r.version, ledgerDeltas, unpushed);
    }
    for (const l of ledgerTables(policy)) {
      const t = l.ledger.counterTable;
      counters.written.set(t, (counters.written.get(t) ?? 0) + rows.filter((r) => r.entityType === t).length);
    }
    if (!done) return;
    const kv = new SyncStateStore(db);
    kv.set("cursor", done.cursor);
    kv.set(FEED_EPOCH_KEY, done.epoch);
    kv.set(
      SNAPSHOT_DONE_KEY,
      JSON.stringify({ cursor: done.cursor, epoch: done.epoch, rows: done.total, at: new Date().toISOString() }),
    );
  });
}

/**
 * Loads the snapshot into the terminal database and stores the cursor to pull the feed after.
 * Resolves to undefined, having changed nothing, when central does not serve snapshots (404)
 * or the transport has none: the caller replays the feed from cursor 0 instead.
 */
export async function bootstrapFromSnapshot(
  db: SqliteDb,
  transport: CentralTransport,
  opts: SnapshotBootstrapOptions = {},
): Promise<SnapshotBootstrapResult | undefined> {
  const policy = opts.policy ?? DEFAULT_SYNC_POLICY;
  const batchRows = opts.batchRows ?? SNAPSHOT_BATCH_ROWS;
  const lines = transport.snapshot ? await transport.snapshot() : undefined;
  if (!lines) return undefined;
  const reader = new SnapshotReader(policy);
  const counters: CounterState = { written: new Map() };
  let batch: SnapshotRow[] = [];
  for await (const chunk of lines) {
    for (const text of chunk) {
      if (text.length === 0) continue;
      const row = reader.read(text);
      if (!row) continue;
      batch.push(row);
      opts.onRow?.(`${row.entityType}|${row.data.id as string}`);
      if (batch.length >= batchRows) {
        applyRows(db, policy, batch, counters);
        batch = [];
      }
    }
    if (opts.signal?.aborted) throw new FeedRecoveryInterrupted();
  }
  const { end } = reader.finish();
  applyRows(db, policy, batch, counters, { cursor: end.cursor, epoch: end.epoch, total: end.rows });
  return { rows: end.rows, cursor: end.cursor, epoch: end.epoch };
}
