import { COLUMNS_ADDED_IN, PROTOCOL_VERSION, START_CURSOR, UNVERSIONED_PROTOCOL } from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import type { SqliteDb } from "../db/terminal-db";

/** sync_state key: the protocol this till's rows were last pulled with. */
const KEY = "protocol";

/**
 * After the agent is upgraded to a protocol that added columns, the rows it pulled before
 * lack them (central sent only the columns the old protocol knew), and the feed would bring
 * them only when each row changes again. So the next pull starts from the beginning of the
 * feed once: every row arrives whole, applied as any pull (unpushed local changes kept, G4).
 * Returns whether the cursor was reset. A till of the first release recorded nothing: it was
 * protocol 1.
 */
export function catchUpAfterUpgrade(db: SqliteDb, version: number = PROTOCOL_VERSION): boolean {
  const kv = new SyncStateStore(db);
  const raw = kv.get(KEY);
  const was = raw ? Number(raw) : UNVERSIONED_PROTOCOL;
  if (raw && was >= version) return false;
  let added = false;
  for (let v = was + 1; v <= version; v++) added ||= Object.keys(COLUMNS_ADDED_IN[v] ?? {}).length > 0;
  const reset = added && kv.cursor() !== START_CURSOR;
  db.transaction(() => {
    if (reset) kv.set("cursor", START_CURSOR);
    kv.set(KEY, String(Math.max(was, version)));
  })();
  return reset;
}
