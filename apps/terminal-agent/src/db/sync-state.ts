import { START_CURSOR, type FeedCursor } from "@tillsync/shared";
import type { SqliteDb } from "./terminal-db";

/** Small persistent key/value state of the agent (cursor, mode, pause, last sync...). */
export class SyncStateStore {
  constructor(private readonly db: SqliteDb) {}

  get(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM sync_state WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  set(key: string, value: string): void {
    this.db
      .prepare(
        `INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, value);
  }

  cursor(): FeedCursor {
    return (this.get("cursor") ?? START_CURSOR) as FeedCursor;
  }
}
