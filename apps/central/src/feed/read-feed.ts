import {
  DEFAULT_SYNC_POLICY,
  type FeedCursor,
  type PullChange,
  type PullResponse,
  type SyncPolicy,
  type SyncTable,
} from "@tillsync/shared";
import type { CentralDb } from "../db/database";
import { sequenceFeed } from "./feed-sequencer";

interface FeedRow {
  position: string;
  entity_type: SyncTable;
  entity_id: string;
}

/**
 * One page of the change feed for a terminal: entries after `since` in its scope (rows of
 * every store for ALL-scoped tables, its own store's rows for STORE-scoped ones), each
 * carrying the row as central holds it now. Several feed entries for one row collapse into
 * one change; a row that no longer exists is a DELETE.
 */
export async function readFeed(
  db: CentralDb,
  opts: { storeId: string; since: FeedCursor; limit: number; entityType?: SyncTable; policy?: SyncPolicy },
): Promise<PullResponse> {
  const policy = opts.policy ?? DEFAULT_SYNC_POLICY;
  await sequenceFeed(db.pool);
  const { rows: feed } = await db.pool.query<FeedRow>(
    `SELECT position, entity_type, entity_id FROM change_feed
      WHERE position > $1 AND (store_id IS NULL OR store_id = $2)
        AND ($3::text IS NULL OR entity_type = $3)
      ORDER BY position LIMIT $4`,
    [opts.since, opts.storeId, opts.entityType ?? null, opts.limit],
  );
  const nextCursor = (feed.length > 0 ? feed[feed.length - 1]!.position : opts.since) as FeedCursor;

  const byTable = new Map<SyncTable, Set<string>>();
  for (const f of feed) {
    let s = byTable.get(f.entity_type);
    if (!s) byTable.set(f.entity_type, (s = new Set()));
    s.add(f.entity_id);
  }
  const changes: PullChange[] = [];
  // Parents before children, so a terminal applying in order never sees a dangling reference.
  for (const table of Object.keys(policy) as SyncTable[]) {
    const ids = byTable.get(table);
    if (!ids) continue;
    const cols = policy[table].columns.map((c) => c.name).join(", ");
    const { rows } = await db.pool.query<Record<string, unknown>>(
      `SELECT ${cols} FROM ${table} WHERE id = ANY($1::uuid[])`,
      [[...ids]],
    );
    const found = new Map(rows.map((r) => [String(r.id), r]));
    for (const id of ids) {
      const row = found.get(id);
      changes.push(
        row
          ? { entityType: table, entityId: id, operation: "UPSERT", data: toWire(row), version: Number(row.version) }
          : { entityType: table, entityId: id, operation: "DELETE", data: null, version: null },
      );
    }
  }
  return { changes, nextCursor, hasMore: feed.length === opts.limit };
}

function toWire(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}
