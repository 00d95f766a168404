import type { Pool, PoolClient } from "pg";
import { feedTables, type ColumnSpec, type FeedCursor, type SyncPolicy, type TablePolicy } from "@tillsync/shared";
import { tablesParentFirst } from "../sync/policy-tables";
import { sequenceFeed } from "./change-feed";
import { feedIdentityStore } from "./feed-identity";
import { withTransaction } from "./transaction";

/**
 * The bootstrap snapshot (GET /api/sync/snapshot): every row a terminal receives, read
 * straight from the tables in one REPEATABLE READ, READ ONLY transaction, with the feed's
 * epoch and head read in the same snapshot.
 *
 * Why the head read in the snapshot is the right cursor: the sequencer numbers only rows that
 * have committed, one run at a time, each run above every earlier one (change-feed.ts). Every
 * position up to the head this snapshot sees was given by a run that committed before it, to
 * a change that committed before that: its row is in the snapshot. A change the snapshot does
 * not see is numbered later, above the head, and comes through the feed after the cursor
 * (never lost, never sent twice). A change the snapshot sees but not yet numbered (committed,
 * sequencer not run) comes once more through the feed: the pull then sends the row's current
 * state, which the agent applies as the same upsert (harmless). The sequencer runs first to
 * keep that set small.
 *
 * PostgreSQL builds each line's JSON itself and rows are read through a server-side cursor a
 * batch at a time, so central neither holds the table in memory nor parses rows in JS. Rows go
 * in id order: the agent's primary-key index then grows at its end instead of being rewritten
 * page by page with every batch it commits.
 */

export interface SnapshotSink {
  /** Told first, inside the snapshot: the epoch, the cursor and the tables, in the order sent. */
  header(h: { epoch: string; cursor: FeedCursor; tables: string[] }): Promise<void>;
  /** A batch of rows, each already one NDJSON line (without its newline). Backpressure: await it. */
  lines(lines: string[]): Promise<void>;
}

export interface SnapshotTotals {
  epoch: string;
  cursor: FeedCursor;
  rows: number;
}

export interface SnapshotStore {
  /** Streams the terminal's scope (STORE-scoped tables: its store's rows only) into `sink`. */
  stream(
    opts: { storeId: string; policy: SyncPolicy; batchRows?: number },
    sink: SnapshotSink,
  ): Promise<SnapshotTotals>;
}

const DEFAULT_BATCH_ROWS = 2000;

/** Names come from the policy (code, not input); this only keeps a typo from becoming SQL. */
function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`sync policy: ${JSON.stringify(name)} is not a plain SQL name`);
  return name;
}

/** A column as the pull's JSON carries it: timestamps as JavaScript's toISOString() spells them. */
function jsonValue(c: ColumnSpec): string {
  const n = ident(c.name);
  if (c.type.kind === "timestamp") return `to_char(${n} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return n;
}

/**
 * One table's rows as NDJSON lines, in the terminal's scope ($1 is its store). Exported for
 * the test of the generated text.
 */
export function snapshotLineSql(p: TablePolicy): string {
  const pairs = p.columns.map((c) => `'${ident(c.name)}', ${jsonValue(c)}`).join(", ");
  const where = p.scope === "STORE" ? `WHERE store_id = $1::uuid` : `WHERE $1::uuid IS NOT NULL`;
  return `SELECT json_build_object('type', 'row', 'entityType', '${ident(p.table)}', 'version', version,
            'data', json_build_object(${pairs}))::text AS line
       FROM ${ident(p.table)} ${where} ORDER BY id`;
}

/** The tables a terminal receives, parents first: what a feed replay from cursor 0 would send. */
export function snapshotTables(policy: SyncPolicy): TablePolicy[] {
  const sent = new Set(feedTables(policy).map((p) => p.table));
  return tablesParentFirst(policy).filter((p) => sent.has(p.table));
}

async function streamTable(
  c: PoolClient,
  p: TablePolicy,
  storeId: string,
  batchRows: number,
  sink: SnapshotSink,
): Promise<number> {
  await c.query(`DECLARE tillsync_snapshot NO SCROLL CURSOR FOR ${snapshotLineSql(p)}`, [storeId]);
  const fetch = () => {
    const f = c.query<{ line: string }>(`FETCH ${batchRows} FROM tillsync_snapshot`);
    f.catch(() => undefined); // awaited below; a write that failed first must not leave it unhandled
    return f;
  };
  // One FETCH ahead: PostgreSQL builds the next batch's JSON while this one is written out, so
  // neither waits for the other (the agent waited on central for ~0.5 s of a 4 s bootstrap).
  let next = fetch();
  let rows = 0;
  for (;;) {
    const { rows: batch } = await next;
    if (batch.length === 0) break;
    rows += batch.length;
    const more = batch.length === batchRows;
    if (more) next = fetch();
    await sink.lines(batch.map((r) => r.line));
    if (!more) break;
  }
  await c.query(`CLOSE tillsync_snapshot`);
  return rows;
}

export function snapshotStore(pool: Pool): SnapshotStore {
  const identity = feedIdentityStore(pool);
  return {
    async stream(opts, sink) {
      // Outside the snapshot: number what has committed, and give a restored database its new
      // epoch (both write, and a READ ONLY transaction cannot).
      await sequenceFeed(pool);
      await identity.current();
      const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
      const tables = snapshotTables(opts.policy);
      return withTransaction(pool, async (c) => {
        await c.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
        // The transaction's first statement takes its snapshot: epoch and head belong to it.
        const { rows: head } = await c.query<{ epoch: string; cursor: string }>(
          `SELECT (SELECT epoch::text FROM feed_identity WHERE id = 1) AS epoch,
                  (SELECT coalesce(max(position), 0)::text FROM change_feed) AS cursor`,
        );
        const epoch = head[0]!.epoch;
        const cursor = head[0]!.cursor as FeedCursor;
        await sink.header({ epoch, cursor, tables: tables.map((p) => p.table) });
        let rows = 0;
        for (const p of tables) rows += await streamTable(c, p, opts.storeId, batchRows, sink);
        return { epoch, cursor, rows };
      });
    },
  };
}
