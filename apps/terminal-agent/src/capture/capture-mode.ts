/**
 * The mode a captured row records (outbox.created_in_mode): sync_state's 'mode', 'ONLINE' when
 * unset (issue 15, capture ≤ 1.3×).
 *
 * Capture evaluates it once per captured row. Read from sync_state it was a lookup by text key
 * (its primary-key index, then the table), a measurable part of a sale's trigger CPU
 * (bench/README.md, "Agent: sale latency and capture overhead"). So the value is kept in
 * capture_control row 1 (`mode`), which capture reads by rowid, and is written there only by
 * triggers on sync_state: every writer of 'mode' (the sync engine's SyncStateStore.set, a
 * hand-run UPDATE, a DELETE of the key) keeps it equal without knowing. The triggers recompute
 * it from sync_state itself, so it equals the old expression whatever the write was (a key
 * renamed to or from 'mode' included); the migration sets it once from the file's sync_state.
 */

/** The old expression, and still the definition: what capture_control.mode always equals. */
const FROM_SYNC_STATE_SQL = "coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')";

/**
 * What capture writes as created_in_mode. The fallback runs only if row 1 is missing (capture
 * then still captures, NOT_APPLYING being true): SQLite's coalesce stops at its first non-NULL
 * argument, so a till pays the rowid lookup alone.
 */
export const CAPTURE_MODE_SQL = `coalesce((SELECT mode FROM capture_control WHERE id = 1), ${FROM_SYNC_STATE_SQL})`;

const SYNC_MODE = `UPDATE capture_control SET mode = ${FROM_SYNC_STATE_SQL} WHERE id = 1;`;

/** Sets capture_control.mode from sync_state: run by the migration, after row 1 exists. */
export const SYNC_CAPTURE_MODE_SQL = SYNC_MODE;

/** The triggers that keep capture_control.mode equal to sync_state's 'mode'. */
export function captureModeTriggers(): string[] {
  const body = `BEGIN\n  ${SYNC_MODE}\nEND;`;
  return [
    `CREATE TRIGGER tillsync_capture_mode_insert AFTER INSERT ON sync_state\nWHEN NEW.key = 'mode'\n${body}`,
    `CREATE TRIGGER tillsync_capture_mode_update AFTER UPDATE ON sync_state\nWHEN NEW.key = 'mode' OR OLD.key = 'mode'\n${body}`,
    `CREATE TRIGGER tillsync_capture_mode_delete AFTER DELETE ON sync_state\nWHEN OLD.key = 'mode'\n${body}`,
  ];
}
