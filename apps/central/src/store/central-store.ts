import { auditLog, type AuditLog } from "./audit-log";
import { appliedChangeStore, type AppliedChangeStore } from "./applied-changes";
import { catalogueStore, type CatalogueStore } from "./catalogue";
import { changeFeedStore, type ChangeFeedStore } from "./change-feed";
import { conflictLog, conflictQueries, type ConflictLog, type ConflictQueries } from "./conflicts";
import type { CentralDb } from "./database";
import { feedIdentityStore, type FeedIdentityStore } from "./feed-identity";
import { FeedListener, type FeedListenerOptions } from "./feed-listener";
import { ownOrdersStore, type OwnOrdersStore } from "./own-orders";
import { snapshotStore, type SnapshotStore } from "./snapshot";
import { retentionStore, type RetentionStore } from "./retention";
import { sessionStore, type SessionStore } from "./operator-sessions";
import { operatorStore, type OperatorStore } from "./operators";
import { storeRegistry, type StoreRegistry } from "./stores";
import { stockLedger, type StockLedger } from "./stock-ledger";
import { pullStartQueries, type PullStartQueries } from "./pull-start";
import { syncControlAdmin, syncControlQueries, type SyncControlAdmin, type SyncControlQueries } from "./sync-control";
import { syncHistoryStore, type SyncHistoryStore } from "./sync-history";
import { syncedTables, type SyncedTables } from "./synced-tables";
import { syncRunStore, type SyncRunStore } from "./sync-runs";
import { syncScheduleStore, type SyncScheduleStore } from "./sync-schedules";
import { terminalAdmin, terminalQueries, type TerminalAdmin, type TerminalQueries } from "./terminals";
import { withNamedStatements } from "./named-statements";
import { inSavepoint, withTransaction, type Queryable } from "./transaction";

/**
 * What one open transaction can do: the SQL modules, bound to its connection. Prisma-backed
 * functions are deliberately absent: they would run on another connection, outside it.
 */
export interface TxStore {
  terminals: TerminalQueries;
  appliedChanges: AppliedChangeStore;
  conflicts: ConflictQueries;
  tables: SyncedTables;
  catalogue: CatalogueStore;
  history: SyncHistoryStore;
  /** The emergency stop and terminal pauses (the push reads them through its gate). */
  control: SyncControlQueries;
  /** Runs `fn` in a savepoint: when it throws, only its writes are undone (see inSavepoint). */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Central's storage layer: the one place that talks to PostgreSQL (BullMQ's rule: one
 * backend interface). Routes, the hub and the sync logic call these functions, named for
 * what they mean, and receive the store (or the part they need) from the composition root.
 */
export interface CentralStore {
  terminals: TerminalQueries & TerminalAdmin;
  stores: StoreRegistry;
  appliedChanges: AppliedChangeStore;
  conflicts: ConflictQueries & ConflictLog;
  feed: ChangeFeedStore;
  /** The feed's epoch (a restore changes it) and how far compaction expired cursors. */
  feedIdentity: FeedIdentityStore;
  history: SyncHistoryStore;
  tables: SyncedTables;
  catalogue: CatalogueStore;
  /** Stock movements at central and the ledger of every item. */
  stock: StockLedger;
  operators: OperatorStore;
  sessions: SessionStore;
  /** A terminal's own recent orders, lines and payments (a replaced till restores them). */
  ownOrders: OwnOrdersStore;
  /** A new terminal's bootstrap: its scope's rows in one snapshot, with the feed cursor (GET /api/sync/snapshot). */
  snapshot: SnapshotStore;
  /** Pruning of applied_changes and decided conflicts (the daily cleanup). */
  retention: RetentionStore;
  audit: AuditLog;
  /** Sync runs and each terminal's part (GET /api/sync/runs/:id). */
  runs: SyncRunStore;
  /** Sync schedules (their BullMQ job schedulers are re-created from these). */
  schedules: SyncScheduleStore;
  /** The emergency stop and terminal pauses: read by every push and pull, written by operators. */
  control: SyncControlQueries & SyncControlAdmin;
  /** A pull's first statement: the hold, the feed's identity and the sequencer's check. */
  pullStart: PullStartQueries;
  /** Runs `fn` in one transaction (withTransaction): committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: TxStore) => Promise<T>): Promise<T>;
  /** A LISTEN connection of its own for feed notifications (hub/feed-watcher.ts). */
  feedListener(opts: Omit<FeedListenerOptions, "databaseUrl">): FeedListener;
  /** Resolves when PostgreSQL answers (readiness). */
  ping(): Promise<void>;
}

function txStore(client: Queryable): TxStore {
  return {
    terminals: terminalQueries(client),
    appliedChanges: appliedChangeStore(client),
    conflicts: conflictQueries(client),
    tables: syncedTables(client),
    catalogue: catalogueStore(client),
    history: syncHistoryStore(client),
    control: syncControlQueries(client),
    savepoint: (fn) => inSavepoint(client, fn),
  };
}

export function centralStore(db: CentralDb): CentralStore {
  const { pool, prisma } = db;
  return {
    terminals: { ...terminalQueries(pool), ...terminalAdmin(prisma) },
    stores: storeRegistry(prisma),
    appliedChanges: appliedChangeStore(pool),
    conflicts: { ...conflictQueries(pool), ...conflictLog(pool) },
    feed: changeFeedStore(pool),
    feedIdentity: feedIdentityStore(pool),
    history: syncHistoryStore(pool),
    tables: syncedTables(pool),
    catalogue: catalogueStore(pool),
    stock: stockLedger(pool),
    operators: operatorStore(pool),
    sessions: sessionStore(pool),
    retention: retentionStore(pool),
    ownOrders: ownOrdersStore(pool),
    snapshot: snapshotStore(pool),
    audit: auditLog(pool),
    // Named too: a push counts its records in the run after every batch.
    runs: syncRunStore(withNamedStatements(pool)),
    schedules: syncScheduleStore(pool),
    control: { ...syncControlQueries(pool), ...syncControlAdmin(pool) },
    pullStart: pullStartQueries(pool),
    // Named statements: a transaction's statements are the push's, sent every batch (named-statements.ts).
    transaction: (fn) => withTransaction(pool, (client) => fn(txStore(withNamedStatements(client)))),
    feedListener: (opts) => new FeedListener({ ...opts, databaseUrl: db.url }),
    async ping() {
      await pool.query("SELECT 1");
    },
  };
}
