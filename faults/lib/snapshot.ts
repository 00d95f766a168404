import type Database from "better-sqlite3";
import type { Pool } from "pg";

/** The rows the checker compares, as read from one side (central's PostgreSQL or a till's SQLite). */
export interface SideSnapshot {
  orders: Map<
    string,
    { terminalId: string | null; status: string; total: number; customerId: string | null; completedAt: number | null }
  >;
  lines: Map<string, { orderId: string; productId: string; quantity: number; unitPriceCents: number }>;
  payments: Map<string, { orderId: string; method: string; amountCents: number }>;
  /** SALE adjustments only: COUNT/RECEIVE rows are central's own. */
  adjustments: Map<string, { productId: string; delta: number; terminalId: string | null }>;
  stock: Map<string, number>;
  customers: Map<string, { points: number; spent: number }>;
  products: Map<string, string>;
}

export interface TillExtras {
  /** Outbox rows by status. */
  outbox: Record<string, number>;
  /** change_id of every outbox row central answered (SYNCED, or CONFLICT resolved by the policy). */
  synced: string[];
}

const time = (v: unknown): number | null => (v === null || v === undefined ? null : new Date(v as string).getTime());
const productKey = (r: Record<string, unknown>) =>
  JSON.stringify([r.sku, r.name, Number(r.price_cents), Number(r.tax_rate_bp), Boolean(r.active)]);

type Row = Record<string, unknown>;

function fill(rows: {
  orders: Row[];
  lines: Row[];
  payments: Row[];
  adjustments: Row[];
}): Omit<SideSnapshot, "stock" | "customers" | "products"> {
  return {
    orders: new Map(
      rows.orders.map((r) => [
        String(r.id),
        {
          terminalId: (r.terminal_id as string | null) ?? null,
          status: String(r.status),
          total: Number(r.total_cents),
          customerId: (r.customer_id as string | null) ?? null,
          completedAt: time(r.completed_at),
        },
      ]),
    ),
    lines: new Map(
      rows.lines.map((r) => [
        String(r.id),
        {
          orderId: String(r.order_id),
          productId: String(r.product_id),
          quantity: Number(r.quantity),
          unitPriceCents: Number(r.unit_price_cents),
        },
      ]),
    ),
    payments: new Map(
      rows.payments.map((r) => [
        String(r.id),
        { orderId: String(r.order_id), method: String(r.method), amountCents: Number(r.amount_cents) },
      ]),
    ),
    adjustments: new Map(
      rows.adjustments.map((r) => [
        String(r.id),
        {
          productId: String(r.product_id),
          delta: Number(r.delta),
          terminalId: (r.terminal_id as string | null) ?? null,
        },
      ]),
    ),
  };
}

const SQL = {
  orders: `SELECT id, terminal_id, status, total_cents, customer_id, completed_at FROM sale_orders`,
  lines: `SELECT id, order_id, product_id, quantity, unit_price_cents FROM sale_order_lines`,
  payments: `SELECT id, order_id, method, amount_cents FROM payments`,
  adjustments: `SELECT id, product_id, delta, terminal_id FROM inventory_adjustments WHERE reason = 'SALE'`,
  stock: `SELECT product_id, quantity FROM inventory_items`,
  customers: `SELECT id, loyalty_points, total_spent_cents FROM customers`,
  products: `SELECT id, sku, name, price_cents, tax_rate_bp, active FROM products`,
};

function rest(stock: Row[], customers: Row[], products: Row[]): Pick<SideSnapshot, "stock" | "customers" | "products"> {
  return {
    stock: new Map(stock.map((r) => [String(r.product_id), Number(r.quantity)])),
    customers: new Map(
      customers.map((r) => [String(r.id), { points: Number(r.loyalty_points), spent: Number(r.total_spent_cents) }]),
    ),
    products: new Map(products.map((r) => [String(r.id), productKey(r)])),
  };
}

export async function centralSnapshot(pool: Pool): Promise<SideSnapshot & { applied: Set<string> }> {
  const q = async (sql: string) => (await pool.query(sql)).rows as Row[];
  const [orders, lines, payments, adjustments, stock, customers, products, applied] = await Promise.all([
    q(SQL.orders),
    q(SQL.lines),
    q(SQL.payments),
    q(SQL.adjustments),
    q(SQL.stock),
    q(SQL.customers),
    q(SQL.products),
    q(`SELECT terminal_id, change_id FROM applied_changes`),
  ]);
  return {
    ...fill({ orders, lines, payments, adjustments }),
    ...rest(stock, customers, products),
    // A change id is unique per terminal only (applied_changes' key): `terminal:change`.
    applied: new Set(applied.map((r) => `${String(r.terminal_id)}:${String(r.change_id)}`)),
  };
}

export function tillSnapshot(db: Database.Database): SideSnapshot & TillExtras {
  const all = (sql: string) => db.prepare(sql).all() as Row[];
  const outbox: Record<string, number> = {};
  for (const r of all(`SELECT status, count(*) AS n FROM outbox GROUP BY status`))
    outbox[String(r.status)] = Number(r.n);
  return {
    ...fill({
      orders: all(SQL.orders),
      lines: all(SQL.lines),
      payments: all(SQL.payments),
      adjustments: all(SQL.adjustments),
    }),
    ...rest(all(SQL.stock), all(SQL.customers), all(SQL.products)),
    outbox,
    synced: all(`SELECT change_id FROM outbox WHERE status IN ('SYNCED', 'CONFLICT')`).map((r) => String(r.change_id)),
  };
}
