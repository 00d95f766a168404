import { randomUUID } from "node:crypto";
import type { Pool, PoolClient } from "pg";
import {
  columnTypes,
  DEFAULT_SYNC_POLICY,
  ledgerTables,
  NotFoundError,
  ValidationError,
  type ColumnSpec,
  type StockAdjustment,
  type StockHistoryPage,
  type StockHistoryQuery,
  type StockMovementRequest,
  type StockReason,
  type TablePolicy,
} from "@tillsync/shared";
import { decodePageCursor, pageOf } from "./page-cursor";
import { syncedTables, type Row } from "./synced-tables";
import { withTransaction, type Queryable } from "./transaction";

/**
 * The stock ledger at central: every movement is an inventory_adjustments row, and
 * inventory_items.quantity is the sum of its item's rows. Central's own movements (a count, a
 * receipt, damage, a transfer between stores) are appended by the same generated ledger SQL that
 * applies a till's adjustments (store/synced-table-sql.ts appendSql, from the policy's
 * LedgerRule): the statement that inserts a row moves its counter, so the two cannot disagree.
 * Terminals receive the new quantity through the feed, as for any other change of inventory_items.
 */

const LEDGER = ledgerTables(DEFAULT_SYNC_POLICY).find((l) => l.ledger.counterTable === "inventory_items")!;
const COUNTER = DEFAULT_SYNC_POLICY.inventory_items;

/**
 * Columns only central's copy of the ledger has: who and why for movements made at central.
 * Terminals neither push nor receive them (the policy's columns stay the protocol).
 */
const CENTRAL_COLUMNS: readonly ColumnSpec[] = [
  { name: "operator_name", type: columnTypes.text(200), optional: true },
  { name: "note", type: columnTypes.text(500), optional: true },
  { name: "transfer_id", type: columnTypes.uuid, optional: true },
];
const CENTRAL_LEDGER: TablePolicy = { ...LEDGER, columns: [...LEDGER.columns, ...CENTRAL_COLUMNS] };

export interface StockItem {
  id: string;
  storeId: string;
  productId: string;
  quantity: number;
  version: number;
}

export interface StockMovementResult {
  /** Every item the movement changed, in the request's order (a transfer's source first). */
  items: StockItem[];
  adjustments: StockAdjustment[];
}

export interface StockLedger {
  /**
   * Appends the movement's adjustments in one transaction. A COUNT locks the item's row, reads
   * its quantity and appends (count − quantity), so a till's adjustment applied concurrently is
   * either counted before or added after, never lost. A TRANSFER appends both halves or none.
   * A store or product central does not hold is a NotFoundError; a result beyond a stock
   * column's range is a ValidationError, and nothing is written.
   */
  move(m: StockMovementRequest, by: { operatorName: string }): Promise<StockMovementResult>;
  /** One item's ledger, newest first; NotFoundError for a store or product central does not hold. */
  history(storeId: string, productId: string, q: StockHistoryQuery): Promise<StockHistoryPage>;
}

interface Leg {
  storeId: string;
  /** A count (the new quantity) or a delta. */
  count?: number;
  delta?: number;
}

function legsOf(m: StockMovementRequest): { reason: StockReason; legs: Leg[] } {
  switch (m.type) {
    case "COUNT":
      return { reason: "COUNT", legs: [{ storeId: m.storeId, count: m.quantity }] };
    case "RECEIVE":
      return { reason: "RECEIVE", legs: [{ storeId: m.storeId, delta: m.quantity }] };
    case "DAMAGE":
      return { reason: "DAMAGE", legs: [{ storeId: m.storeId, delta: -m.quantity }] };
    case "TRANSFER":
      return {
        reason: "TRANSFER",
        legs: [
          { storeId: m.fromStoreId, delta: -m.quantity },
          { storeId: m.toStoreId, delta: m.quantity },
        ],
      };
  }
}

const ITEM_COLUMNS = `id, store_id AS "storeId", product_id AS "productId", quantity, version`;
const ADJUSTMENT_SELECT = `SELECT a.id, a.store_id AS "storeId", a.product_id AS "productId", a.delta, a.reason::text AS reason,
         a.terminal_id AS "terminalId", t.name AS "terminalName", a.operator_name AS "operatorName", a.note,
         a.transfer_id AS "transferId", a.created_at AS "createdAt"
    FROM inventory_adjustments a LEFT JOIN terminals t ON t.id = a.terminal_id`;

function toAdjustment(r: Row): StockAdjustment {
  return { ...(r as unknown as StockAdjustment), createdAt: (r.createdAt as Date).toISOString() };
}

/** A NotFoundError naming what is missing, or undefined when both exist. */
async function missing(q: Queryable, storeId: string, productId: string): Promise<NotFoundError | undefined> {
  const { rows } = await q.query<{ store: boolean; product: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS store, EXISTS (SELECT 1 FROM products WHERE id = $2) AS product`,
    [storeId, productId],
  );
  if (!rows[0]!.store) return new NotFoundError(`store ${storeId} does not exist; create it with POST /api/stores`);
  if (!rows[0]!.product)
    return new NotFoundError(`product ${productId} does not exist; create it with POST /api/products`);
  return undefined;
}

/**
 * The item's row, locked until the transaction ends; created with quantity 0 on first use.
 * Creating it first is what makes the lock possible: two first counts of a new item would
 * otherwise both read "no stock" and both append their full count.
 */
async function lockItem(c: PoolClient, storeId: string, productId: string): Promise<StockItem> {
  await c.query(
    `INSERT INTO inventory_items (store_id, product_id, quantity)
     SELECT $1, $2, 0
      WHERE EXISTS (SELECT 1 FROM stores WHERE id = $1) AND EXISTS (SELECT 1 FROM products WHERE id = $2)
     ON CONFLICT (store_id, product_id) DO NOTHING`,
    [storeId, productId],
  );
  const { rows } = await c.query<StockItem>(
    `SELECT ${ITEM_COLUMNS} FROM inventory_items WHERE store_id = $1 AND product_id = $2 FOR UPDATE`,
    [storeId, productId],
  );
  if (rows[0]) return rows[0];
  throw (await missing(c, storeId, productId)) ?? new NotFoundError(`no stock row for ${storeId}/${productId}`);
}

async function appendMovement(
  c: PoolClient,
  m: StockMovementRequest,
  operatorName: string,
): Promise<StockMovementResult> {
  const { reason, legs } = legsOf(m);
  const transferId = m.type === "TRANSFER" ? randomUUID() : null;
  // Locked in store order: two transfers in opposite directions queue instead of deadlocking.
  const byStore = new Map<string, StockItem>();
  for (const leg of [...legs].sort((a, b) => a.storeId.localeCompare(b.storeId)))
    byStore.set(leg.storeId, await lockItem(c, leg.storeId, m.productId));
  const rows: Row[] = legs.map((leg) => ({
    id: randomUUID(),
    store_id: leg.storeId,
    product_id: m.productId,
    delta: leg.count !== undefined ? leg.count - byStore.get(leg.storeId)!.quantity : leg.delta!,
    reason,
    terminal_id: null,
    operator_name: operatorName,
    note: m.note ?? null,
    transfer_id: transferId,
  }));
  try {
    await syncedTables(c).appendRows(CENTRAL_LEDGER, COUNTER, rows);
  } catch (err) {
    // 22003: the delta or the new quantity is beyond PostgreSQL's integer.
    if ((err as { code?: string }).code === "22003")
      throw new ValidationError(`quantity: this movement would take stock beyond ${-(2 ** 31)}..${2 ** 31 - 1}`);
    throw err;
  }
  const items = await c.query<StockItem>(`SELECT ${ITEM_COLUMNS} FROM inventory_items WHERE id = ANY($1::uuid[])`, [
    [...byStore.values()].map((i) => i.id),
  ]);
  const byId = new Map(items.rows.map((i) => [i.storeId, i]));
  const adjustments = await c.query<Row>(`${ADJUSTMENT_SELECT} WHERE a.id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
  const order = new Map(rows.map((r, i) => [String(r.id), i]));
  return {
    items: legs.map((l) => byId.get(l.storeId)!),
    adjustments: adjustments.rows.map(toAdjustment).sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)),
  };
}

export function stockLedger(pool: Pool): StockLedger {
  return {
    move: (m, by) => withTransaction(pool, (c) => appendMovement(c, m, by.operatorName)),
    async history(storeId, productId, q) {
      const notFound = await missing(pool, storeId, productId);
      if (notFound) throw notFound;
      const after = q.cursor ? decodePageCursor(q.cursor) : null;
      const { rows } = await pool.query<Row>(
        `${ADJUSTMENT_SELECT}
          WHERE a.store_id = $1 AND a.product_id = $2
            AND ($3::timestamptz IS NULL OR (a.created_at, a.id) < ($3::timestamptz, $4::uuid))
          ORDER BY a.created_at DESC, a.id DESC LIMIT $5`,
        [storeId, productId, after?.at ?? null, after?.id ?? null, q.limit + 1],
      );
      const item = await pool.query<{ quantity: number }>(
        `SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2`,
        [storeId, productId],
      );
      const { page, nextCursor } = pageOf(rows, q.limit, (r) => ({
        at: (r.createdAt as Date).toISOString(),
        id: String(r.id),
      }));
      return {
        storeId,
        productId,
        quantity: item.rows[0]?.quantity ?? null,
        adjustments: page.map(toAdjustment),
        nextCursor,
      };
    },
  };
}
