import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";

/**
 * `sales` completed sales of 4 rows each (order, line, payment, stock adjustment) written into a
 * till's file in one transaction, captured as 4 outbox changes each: the upstream benches' load.
 */
export function writeSales(db: Database.Database, storeId: string, productId: string, sales: number): void {
  db.transaction(() => {
    const o = db.prepare(
      `INSERT INTO sale_orders (id, store_id, status, total_cents, completed_at) VALUES (?, ?, 'COMPLETED', 100, strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
    );
    const l = db.prepare(
      `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, 1, 100, 100)`,
    );
    const p = db.prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CASH', 100)`);
    const a = db.prepare(
      `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, -1, 'SALE')`,
    );
    for (let i = 0; i < sales; i++) {
      const order = randomUUID();
      o.run(order, storeId);
      l.run(randomUUID(), order, productId);
      p.run(randomUUID(), order);
      a.run(randomUUID(), storeId, productId);
    }
  })();
}
