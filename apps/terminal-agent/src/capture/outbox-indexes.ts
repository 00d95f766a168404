import { INDEXED_SQL, OPEN_SQL, UNCONFIRMED_SQL } from "../outbox/outbox-status-sql";

/**
 * The outbox's entity index, partial: only changes central has not confirmed (PENDING,
 * SYNCING, FAILED; `confirmed = 0`, see OPEN_SQL for why not `status`) are in it. Every lookup by row needs only those: capture's fold (an unsent
 * PENDING change of the row), the batch's pull-along of earlier queued changes, the rebase
 * after a push, and the pull's "unpushed local changes" (apply-central-row.ts,
 * ledger-counters.ts). A till that is online keeps a handful of unconfirmed rows and days of
 * SYNCED history: the full index on random UUIDs put every captured row at a random leaf of a
 * tree as large as that history (most of capture's overhead, issue 15); this one stays a few
 * pages. A query uses it only when its WHERE repeats `confirmed = 0` word for word (SQLite's
 * rule for partial indexes: unconfirmedSql()); test/outbox-query-plans.test.ts holds each one to it.
 *
 * Why not in a migration: the offline Prisma schema engine (scripts/lib/schema-engine.ts)
 * cannot describe a SQLite partial index, so the drift check would fail on it. The migration
 * `outbox_unconfirmed_entity_index` drops the full index; migrateTerminal creates this one
 * after the migrations, in the same transaction, on every open (a no-op once it exists). The
 * migration `outbox_confirmed_flag` drops the first partial index, on `status`
 * (outbox_unconfirmed_entity_idx); this one has a new name so that it is made again.
 */
export const OUTBOX_UNCONFIRMED_ENTITY_INDEX = "outbox_open_entity_idx";

export const OUTBOX_PARTIAL_INDEXES_SQL = `CREATE INDEX IF NOT EXISTS "${OUTBOX_UNCONFIRMED_ENTITY_INDEX}"
  ON "outbox" ("entity_type", "entity_id") WHERE ${OPEN_SQL};`;

/**
 * The outbox's status index, partial: every row but the captured tail's (INDEXED_SQL). A sale's
 * rows went into it at the end of two or three priority groups, +2.9 of a sale's +5 extra WAL
 * pages offline and +1 online (bench/capture-overhead.ts, by structure); now its commit writes
 * no outbox index at all, and the agent's tail indexing (captured-tail.ts) puts the rows into
 * both indexes, a second of sales at once. Every query by status spells INDEXED_SQL out
 * (test/outbox-query-plans.test.ts holds each to this index). Made by migrateTerminal, as the
 * entity index, once the migration `outbox_status_index_without_tail` dropped Prisma's full one.
 */
export const OUTBOX_STATUS_INDEX = "outbox_indexed_status_idx";

export const OUTBOX_STATUS_INDEX_SQL = `CREATE INDEX IF NOT EXISTS "${OUTBOX_STATUS_INDEX}"
  ON "outbox" ("status", "sync_priority", "id") WHERE ${INDEXED_SQL};`;

/**
 * The partial index as the releases between `outbox_unconfirmed_entity_index` and
 * `outbox_confirmed_flag` made it (on `status`): what a folder of such a release (an upgrade
 * fixture) gets, since it has no `confirmed` column yet.
 */
export const OUTBOX_STATUS_ENTITY_INDEX_SQL = `CREATE INDEX IF NOT EXISTS "outbox_unconfirmed_entity_idx"
  ON "outbox" ("entity_type", "entity_id") WHERE status IN ${UNCONFIRMED_SQL};`;
