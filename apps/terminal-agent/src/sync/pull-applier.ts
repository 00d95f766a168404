import { DEFAULT_SYNC_POLICY, type PullResponse, type SyncPolicy } from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import { stmt, withoutCapture, type SqliteDb } from "../db/terminal-db";
import { applyCentralRow, rowsWithUnpushedChanges } from "./apply-central-row";
import { discardLocalEdits } from "./discard-local-edits";
import { UnpushedLedgerDeltas } from "./ledger-counters";

/** sync_state key of the feed epoch the cursor belongs to (sent back with every pull). */
export const FEED_EPOCH_KEY = "feed_epoch";

/**
 * Applies one pulled page in a single SQLite transaction, together with the new cursor and the
 * feed epoch it belongs to: a crash leaves either the whole page and its cursor or neither, so
 * nothing is skipped or half-applied. Capture is off inside (G7). The till's own edits of
 * central-owned tables are put back to central's rows first (discardLocalEdits), so the page's
 * newer rows win over them.
 */
export function applyPulledPage(db: SqliteDb, page: PullResponse, policy: SyncPolicy = DEFAULT_SYNC_POLICY): number {
  const state = new SyncStateStore(db);
  return withoutCapture(db, () => {
    discardLocalEdits(db, policy);
    const ledgerDeltas = new UnpushedLedgerDeltas(db);
    const unpushed = rowsWithUnpushedChanges(db, page.changes);
    for (const c of page.changes) {
      if (c.operation === "DELETE" || !c.data) {
        stmt(db, `DELETE FROM ${c.entityType} WHERE id = ?`).run(c.entityId);
      } else {
        applyCentralRow(db, policy, c.entityType, c.entityId, c.data, c.version ?? 0, ledgerDeltas, unpushed);
      }
    }
    state.set("cursor", page.nextCursor);
    if (page.epoch) state.set(FEED_EPOCH_KEY, page.epoch);
    return page.changes.length;
  });
}
