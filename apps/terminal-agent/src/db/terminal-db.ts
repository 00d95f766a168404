import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { indexCapturedTail } from "../capture/captured-tail";
import { migrateTerminal } from "./migrate";

export type SqliteDb = Database.Database;

/**
 * How long a connection waits for the other side's write lock (the till's, or the agent's).
 * Both hold it for one short transaction, so a few seconds only ever matter under a stall.
 */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) and migrates the terminal database. WAL lets the till software
 * write while the agent reads and syncs; a busy timeout makes either side wait briefly for
 * the other's write lock instead of failing. `migrations` is the folder to apply (default: the
 * committed ones); a fixture of an agent one release behind passes that release's.
 */
export function openTerminalDb(file: string, migrations?: string): SqliteDb {
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma("foreign_keys = OFF");
  migrateTerminal(db, migrations);
  return db;
}

/**
 * Runs `fn` in one write transaction with capture switched off: rows written here come from
 * central (or record central's answer) and must not be captured back into the outbox (G7).
 * The captured tail goes into the entity index first, so `fn`'s lookups by row see every
 * unconfirmed change through it (capture/captured-tail.ts).
 */
export function withoutCapture<T>(db: SqliteDb, fn: () => T, joined = false): T {
  const body = () => {
    indexCapturedTail(db);
    stmt(db, "UPDATE capture_control SET applying = 1 WHERE id = 1").run();
    try {
      return fn();
    } finally {
      stmt(db, "UPDATE capture_control SET applying = 0 WHERE id = 1").run();
    }
  };
  return joined ? joinTransaction(db, body) : db.transaction(body).immediate();
}

/**
 * Runs `fn` inside the caller's open write transaction, without a savepoint of its own: for a
 * caller whose transaction rolls back as a whole when `fn` throws (OutboxStore.atomically), so a
 * savepoint could never be rolled back alone. A savepoint is not free: SQLite copies every page
 * first written under it into the statement sub-journal, a temporary file once past 64 KiB
 * (~700 pages per record-and-claim commit during a drain, issue 15).
 */
export function joinTransaction<T>(db: SqliteDb, fn: () => T): T {
  if (!db.inTransaction) throw new Error("joinTransaction: no transaction is open");
  return fn();
}

const statementCache = new WeakMap<SqliteDb, Map<string, Database.Statement>>();
const rawStatementCache = new WeakMap<SqliteDb, Map<string, Database.Statement>>();

function cached(
  caches: WeakMap<SqliteDb, Map<string, Database.Statement>>,
  db: SqliteDb,
  sql: string,
  make: () => Database.Statement,
): Database.Statement {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let s = cache.get(sql);
  if (!s) cache.set(sql, (s = make()));
  return s;
}

/** A prepared statement, reused per connection: preparing per row dominates bulk applies. */
export function stmt(db: SqliteDb, sql: string): Database.Statement {
  return cached(statementCache, db, sql, () => db.prepare(sql));
}

/**
 * The same, returning each row as an array of its columns (better-sqlite3's raw mode): for hot
 * reads of many rows, where the driver's row objects, built a property at a time, cost more than
 * an object literal made from the array. A statement of its own: raw mode belongs to the statement.
 */
export function rawStmt(db: SqliteDb, sql: string): Database.Statement {
  return cached(rawStatementCache, db, sql, () => db.prepare(sql).raw(true));
}
