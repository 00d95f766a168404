import { DEFAULT_SYNC_POLICY, type SyncPolicy, type SyncTable } from "@tillsync/shared";
import { withoutCapture, type SqliteDb } from "../db/terminal-db";
import { applyCentralRow, rowsWithUnpushedChanges } from "../sync/apply-central-row";
import type { CentralTransport } from "../transport/central-transport";

export interface OwnOrdersRestored {
  orders: number;
  lines: number;
  payments: number;
}

/**
 * Restores this terminal's own orders, lines and payments made since `since` from central (a
 * replaced till, or one whose database was lost, can look up yesterday's sale for a return).
 * Each page is written in one transaction with capture off: rows that came from central are
 * not captured back (G7). A row with a local change central has not confirmed keeps it (the
 * outbox still sends it); repeating the restore is harmless (upserts by id). Stock is not
 * touched: the sales' movements are already in central's quantities.
 */
export async function restoreOwnOrders(
  db: SqliteDb,
  transport: Pick<CentralTransport, "ownOrders">,
  opts: { since: Date; pageSize: number; policy?: SyncPolicy },
): Promise<OwnOrdersRestored> {
  const out: OwnOrdersRestored = { orders: 0, lines: 0, payments: 0 };
  if (!transport.ownOrders) return out;
  const policy = opts.policy ?? DEFAULT_SYNC_POLICY;
  let cursor: string | undefined;
  do {
    const page = await transport.ownOrders(opts.since.toISOString(), opts.pageSize, cursor);
    withoutCapture(db, () => {
      const unpushed = rowsWithUnpushedChanges(db);
      const apply = (table: SyncTable, rows: Array<Record<string, unknown>>) => {
        for (const r of rows)
          applyCentralRow(db, policy, table, String(r.id), r, Number(r.version ?? 1), undefined, unpushed);
        return rows.length;
      };
      // Parents first, as everywhere (G5).
      out.orders += apply("sale_orders", page.orders);
      out.lines += apply("sale_order_lines", page.lines);
      out.payments += apply("payments", page.payments);
    });
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
