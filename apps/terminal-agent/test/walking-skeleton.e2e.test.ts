import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent, type TestAgent } from "../testing";
import { waitFor } from "@tillsync/testkit";

const { central, pg } = useTestCentral("e2e");

/**
 * Issue 2's end-to-end proof: real PostgreSQL, real Redis, a real SQLite file, real HTTP.
 * Rows move both ways, written by plain SQL on each side.
 */
describe("walking skeleton: rows move both ways", () => {
  let agent: TestAgent;
  let ids: { storeId: string; terminalId: string; key: string };
  const productId = randomUUID();

  beforeAll(async () => {
    ids = await central.provisionTerminal();
    await central.admin("POST", "/api/products", { id: productId, sku: "COLA-33", name: "Cola 33cl", priceCents: 500 });
    await central.admin("POST", "/api/stock", { storeId: ids.storeId, productId, quantity: 10 });
    agent = createTestAgent(central.url, ids);
  });

  afterAll(async () => {
    await agent?.destroy();
  });

  it("pulls the catalogue and stock of its store", async () => {
    const r = await agent.engine.runCycle();
    expect(r.error).toBeUndefined();
    const till = agent.till();
    expect(till.prepare("SELECT sku, price_cents FROM products WHERE id = ?").get(productId)).toEqual({
      sku: "COLA-33",
      price_cents: 500,
    });
    expect(till.prepare("SELECT quantity FROM inventory_items WHERE product_id = ?").get(productId)).toEqual({
      quantity: 10,
    });
  });

  it("sends a sale written by plain SQL to central, stock decremented, and captures nothing pulled", async () => {
    const till = agent.till();
    const orderId = randomUUID();
    till.transaction(() => {
      till
        .prepare(
          `INSERT INTO sale_orders (id, store_id, status, total_cents, completed_at) VALUES (?, ?, 'COMPLETED', 1000, strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
        )
        .run(orderId, ids.storeId);
      till
        .prepare(
          `INSERT INTO sale_order_lines (order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, 2, 500, 1000)`,
        )
        .run(orderId, productId);
      till.prepare(`INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CARD', 1000)`).run(orderId);
      till
        .prepare(`INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -2, 'SALE')`)
        .run(ids.storeId, productId);
    })();
    // The till sees its own sale at once: central's 10 + its unpushed -2.
    expect(till.prepare("SELECT quantity FROM inventory_items WHERE product_id = ?").get(productId)).toEqual({
      quantity: 8,
    });

    const r = await agent.engine.runCycle();
    expect(r.error).toBeUndefined();
    expect(r.pushed).toBe(4);

    const order = await pg.query(
      `SELECT status, total_cents, terminal_id, created_in_mode FROM sale_orders WHERE id = $1`,
      [orderId],
    );
    expect(order.rows).toEqual([
      { status: "COMPLETED", total_cents: 1000, terminal_id: ids.terminalId, created_in_mode: "ONLINE" },
    ]);
    expect((await pg.query(`SELECT quantity FROM sale_order_lines WHERE order_id = $1`, [orderId])).rows).toEqual([
      { quantity: 2 },
    ]);
    expect((await pg.query(`SELECT amount_cents, method FROM payments WHERE order_id = $1`, [orderId])).rows).toEqual([
      { amount_cents: 1000, method: "CARD" },
    ]);
    const stock = await pg.query(`SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2`, [
      ids.storeId,
      productId,
    ]);
    expect(stock.rows).toEqual([{ quantity: 8 }]);

    // Central's new stock came back down: shown once, not double-counted with the pushed sale.
    expect(till.prepare("SELECT quantity FROM inventory_items WHERE product_id = ?").get(productId)).toEqual({
      quantity: 8,
    });
    const captured = till.prepare("SELECT entity_type, status FROM outbox ORDER BY id").all();
    expect(captured).toEqual([
      { entity_type: "sale_orders", status: "SYNCED" },
      { entity_type: "sale_order_lines", status: "SYNCED" },
      { entity_type: "payments", status: "SYNCED" },
      { entity_type: "inventory_adjustments", status: "SYNCED" },
    ]);
  });

  it("brings a price changed at central by plain SQL down to the till, without echo", async () => {
    await pg.query(`UPDATE products SET price_cents = 650 WHERE id = $1`, [productId]);
    const till = agent.till();
    const before = (till.prepare("SELECT count(*) AS n FROM outbox").get() as { n: number }).n;
    await agent.engine.runCycle();
    await waitFor(
      () =>
        (till.prepare("SELECT price_cents FROM products WHERE id = ?").get(productId) as { price_cents: number })
          .price_cents === 650,
      {
        what: "price 650 at the till",
      },
    );
    const row = till.prepare("SELECT version FROM products WHERE id = ?").get(productId) as { version: number };
    expect(row.version).toBe(2);
    // G7: applying central's rows created no outbox entry.
    expect((till.prepare("SELECT count(*) AS n FROM outbox").get() as { n: number }).n).toBe(before);
    expect(
      till.prepare("SELECT count(*) AS n FROM outbox WHERE entity_type IN ('products', 'inventory_items')").get(),
    ).toEqual({ n: 0 });
  });
});
