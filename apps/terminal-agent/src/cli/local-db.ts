import { existsSync } from "node:fs";
import { openTerminalDb, type SqliteDb } from "../db/terminal-db";
import { CommandFailed } from "./cli-errors";
import { cli } from "./cli-context";

/**
 * Opens the terminal database for a command. Commands that only read or fix what is there
 * (`status`, `history`, `failed`, `discard`, `retry-failed`, `cleanup`) refuse a file that
 * does not exist rather than create an empty one: an empty database would report a healthy,
 * empty till when the path is simply wrong.
 */
export function withDb<T>(fn: (db: SqliteDb) => T, opts: { create?: boolean } = {}): T {
  const { local } = cli();
  if (!opts.create && local.databasePath !== ":memory:" && !existsSync(local.databasePath))
    throw new CommandFailed(
      `no terminal database at ${local.databasePath} (TERMINAL_DATABASE_URL=${local.TERMINAL_DATABASE_URL}); ` +
        "`tillsync-agent start` creates it; check the path and the directory you started from",
    );
  const db = openTerminalDb(local.databasePath);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
