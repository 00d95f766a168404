import { openTerminalDb, rawStmt, stmt, type SqliteDb } from "../src/db/terminal-db";

/**
 * Hot reads of many rows take them as arrays (rawStmt, outbox/batch-selection.ts). Raw mode
 * belongs to a prepared statement: a raw statement must never be the one `stmt` hands out for
 * the same SQL, or every other reader of that SQL would get arrays instead of rows.
 */

let db: SqliteDb;
beforeEach(() => {
  db = openTerminalDb(":memory:");
  db.exec(`CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y');`);
});
afterEach(() => db.close());

const SQL = "SELECT a, b FROM t ORDER BY a";

it("keeps a raw statement apart from the plain one of the same SQL, each reused", () => {
  expect(stmt(db, SQL).all()).toEqual([
    { a: 1, b: "x" },
    { a: 2, b: "y" },
  ]);
  expect(rawStmt(db, SQL).all()).toEqual([
    [1, "x"],
    [2, "y"],
  ]);
  // Asked again in either order, each still answers as it did.
  expect(stmt(db, SQL).all()[0]).toEqual({ a: 1, b: "x" });
  expect(rawStmt(db, SQL)).toBe(rawStmt(db, SQL));
  expect(stmt(db, SQL)).toBe(stmt(db, SQL));
  expect(rawStmt(db, SQL)).not.toBe(stmt(db, SQL));
});
