import { START_CURSOR, type FeedCursor } from "@tillsync/shared";
import { stmt, type SqliteDb } from "./terminal-db";

/**
 * Small persistent key/value state of the agent (cursor, mode, pause, last sync...). Its
 * statements are prepared once per connection (stmt): a cycle reads and writes it some ten
 * times, and preparing each was about a tenth of a DATA_CHANGED cycle's CPU (bench/fan-out).
 */
export class SyncStateStore {
  constructor(private readonly db: SqliteDb) {}

  get(key: string): string | undefined {
    const row = stmt(this.db, "SELECT value FROM sync_state WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  set(key: string, value: string): void {
    stmt(
      this.db,
      `INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ).run(key, value);
  }

  cursor(): FeedCursor {
    return (this.get("cursor") ?? START_CURSOR) as FeedCursor;
  }
}
