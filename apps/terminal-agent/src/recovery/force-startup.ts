import { DEFAULT_SYNC_POLICY, feedTables, MAX_OWN_ORDERS_LIMIT, START_CURSOR, type SyncPolicy } from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import { withoutCapture, type SqliteDb } from "../db/terminal-db";
import { applyPulledPage } from "../sync/pull-applier";
import type { CentralTransport } from "../transport/central-transport";
import { restoreOwnOrders, type OwnOrdersRestored } from "./restore-own-orders";

export interface ForceStartupResult {
  pages: number;
  rows: number;
  /** True when an interrupted recovery was continued instead of started over. */
  resumed: boolean;
  /** This terminal's own orders, lines and payments restored from central (HISTORY_DAYS). */
  ownOrders: OwnOrdersRestored;
}

/**
 * Rebuilds what central owns in a lost or new terminal database (SPEC §5 `startup --force`).
 *
 * 1. Once: empty every table central sends down and reset the cursor to the start, with
 *    capture off (emptying the catalogue must not be pushed to central as deletes), and mark
 *    the recovery as running, all in one transaction. The outbox is kept: its PENDING rows
 *    may be sales this till has not sent yet.
 * 2. Pull page by page; each page commits together with its cursor (applyPulledPage), so a
 *    recovery killed halfway continues from its last page when run again, and upserts by id
 *    make a repeated page harmless.
 * 3. Restore this terminal's own orders, lines and payments of the last `historyDays` days
 *    (restore-own-orders.ts: capture off, local unconfirmed changes kept).
 * 4. Clear the mark and acknowledge the cursor.
 */
export async function forceStartup(
  db: SqliteDb,
  transport: CentralTransport,
  opts: {
    pageSize: number;
    onPage?: (pages: number, rows: number) => void;
    policy?: SyncPolicy;
    /** Days of this terminal's own orders to restore (HISTORY_DAYS); 0 restores none. */
    historyDays?: number;
  },
): Promise<ForceStartupResult> {
  const policy = opts.policy ?? DEFAULT_SYNC_POLICY;
  const kv = new SyncStateStore(db);
  const resumed = kv.get("recovery") === "running";
  if (!resumed) {
    withoutCapture(db, () => {
      for (const t of feedTables(policy)) db.prepare(`DELETE FROM ${t.table}`).run();
      kv.set("cursor", START_CURSOR);
      kv.set("recovery", "running");
    });
  }
  let cursor = kv.cursor();
  let pages = 0;
  let rows = 0;
  for (;;) {
    const page = await transport.pull(cursor, opts.pageSize);
    rows += applyPulledPage(db, page, policy);
    pages++;
    cursor = page.nextCursor;
    opts.onPage?.(pages, rows);
    if (!page.hasMore) break;
  }
  const days = opts.historyDays ?? 0;
  const ownOrders =
    days > 0
      ? await restoreOwnOrders(db, transport, {
          since: new Date(Date.now() - days * 86_400_000),
          pageSize: Math.min(opts.pageSize, MAX_OWN_ORDERS_LIMIT),
          policy,
        })
      : { orders: 0, lines: 0, payments: 0 };
  kv.set("recovery", "done");
  await transport.acknowledge(cursor);
  return { pages, rows, resumed, ownOrders };
}
