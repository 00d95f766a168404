import type { Pool } from "pg";
import { DEFAULT_SYNC_POLICY, type OwnOrdersPage, type OwnOrdersQuery, type TablePolicy } from "@tillsync/shared";
import { decodePageCursor, pageOf } from "./page-cursor";
import type { Row } from "./synced-tables";

/** A terminal's own orders with their lines and payments (GET /api/sync/own-orders). */
export interface OwnOrdersStore {
  /** Orders of `terminalId` created at or after `q.since`, oldest first, paged by (created_at, id). */
  page(terminalId: string, q: OwnOrdersQuery): Promise<OwnOrdersPage>;
}

const cols = (p: TablePolicy) => p.columns.map((c) => c.name).join(", ");

function toWire(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}

export function ownOrdersStore(pool: Pool): OwnOrdersStore {
  const { sale_orders: orders, sale_order_lines: lines, payments } = DEFAULT_SYNC_POLICY;
  return {
    async page(terminalId, q) {
      const after = q.cursor ? decodePageCursor(q.cursor) : null;
      const { rows } = await pool.query<Row>(
        `SELECT ${cols(orders)} FROM sale_orders
          WHERE terminal_id = $1 AND created_at >= $2::timestamptz
            AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
          ORDER BY created_at, id LIMIT $5`,
        [terminalId, q.since, after?.at ?? null, after?.id ?? null, q.limit + 1],
      );
      const { page, nextCursor } = pageOf(rows, q.limit, (r) => ({
        at: (r.created_at as Date).toISOString(),
        id: String(r.id),
      }));
      const ids = page.map((r) => String(r.id));
      const children = async (p: TablePolicy) =>
        ids.length === 0
          ? []
          : (
              await pool.query<Row>(`SELECT ${cols(p)} FROM ${p.table} WHERE order_id = ANY($1::uuid[]) ORDER BY id`, [
                ids,
              ])
            ).rows.map(toWire);
      return { orders: page.map(toWire), lines: await children(lines), payments: await children(payments), nextCursor };
    },
  };
}
