import {
  DEFAULT_SYNC_POLICY,
  type FeedCursor,
  type PullChange,
  type PullResponse,
  type SyncPolicy,
  type SyncTable,
} from "@tillsync/shared";
import type { ChangeFeedStore } from "../store/change-feed";
import type { Row, SyncedTables } from "../store/synced-tables";
import { tablesParentFirst } from "../sync/policy-tables";

/** What a pull reads: the feed, and the rows it names. */
export interface PullStore {
  feed: Pick<ChangeFeedStore, "sequence" | "readPage">;
  tables: Pick<SyncedTables, "readRows">;
}

/**
 * One page of the change feed for a terminal: entries after `since` in its scope (rows of
 * every store for ALL-scoped tables, its own store's rows for STORE-scoped ones), each
 * carrying the row as central holds it now. Several feed entries for one row collapse into
 * one change; a row that no longer exists is a DELETE.
 */
export async function readFeed(
  store: PullStore,
  opts: { storeId: string; since: FeedCursor; limit: number; entityType?: SyncTable; policy?: SyncPolicy },
): Promise<PullResponse> {
  const policy = opts.policy ?? DEFAULT_SYNC_POLICY;
  // Number what has committed since the last run, so this page can include it (G2).
  await store.feed.sequence();
  const feed = await store.feed.readPage(opts);
  const nextCursor = (feed.length > 0 ? feed[feed.length - 1]!.position : opts.since) as FeedCursor;

  const byTable = new Map<SyncTable, Set<string>>();
  for (const f of feed) {
    let s = byTable.get(f.entityType);
    if (!s) byTable.set(f.entityType, (s = new Set()));
    s.add(f.entityId);
  }
  const changes: PullChange[] = [];
  // Parents before children, so a terminal applying in order never sees a dangling reference.
  for (const p of tablesParentFirst(policy)) {
    const ids = byTable.get(p.table);
    if (!ids) continue;
    const found = await store.tables.readRows(p, [...ids]);
    for (const id of ids) {
      const row = found.get(id);
      changes.push(
        row
          ? { entityType: p.table, entityId: id, operation: "UPSERT", data: toWire(row), version: Number(row.version) }
          : { entityType: p.table, entityId: id, operation: "DELETE", data: null, version: null },
      );
    }
  }
  return { changes, nextCursor, hasMore: feed.length === opts.limit };
}

function toWire(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}
