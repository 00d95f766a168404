import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent, type TestAgent } from "../testing";
import { envOf, runCli } from "./support/agent-cli";

const { central, pg } = useTestCentral("owned");

/**
 * Central-owned data written at a till (issue 12 §1, §2), end to end with PostgreSQL, Redis and
 * the till's SQLite file: a price stays central's and the till takes central's row back from the
 * push answer (G3); a direct stock count reaches central once as a COUNT movement (G4); any
 * other edit of a central-owned table is put back on the next pull and counted in status.
 */
describe("central-owned data edited at a till", () => {
  let storeId: string;
  let aId: string;
  let a: TestAgent;
  let b: TestAgent;
  const productId = randomUUID();

  beforeAll(async () => {
    const first = await central.provisionTerminal();
    storeId = first.storeId;
    aId = first.terminalId;
    const second = await central.provisionTerminal({ storeId });
    await central.admin("POST", "/api/products", { id: productId, sku: "OWN-1", name: "Bread", priceCents: 300 });
    await central.admin("POST", "/api/stock", { storeId, productId, quantity: 40 });
    a = createTestAgent(central.url, first);
    b = createTestAgent(central.url, second);
    for (const t of [a, b]) expect((await t.engine.runCycle()).error).toBeUndefined();
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  const product = (t: TestAgent) =>
    t.db.prepare(`SELECT name, price_cents, version FROM products WHERE id = ?`).get(productId) as {
      name: string;
      price_cents: number;
      version: number;
    };
  const centralProduct = async () =>
    (await pg.query(`SELECT name, price_cents, version FROM products WHERE id = $1`, [productId])).rows[0];
  const shownStock = (t: TestAgent) =>
    (t.db.prepare(`SELECT quantity FROM inventory_items WHERE product_id = ?`).get(productId) as { quantity: number })
      .quantity;
  const centralStock = async () =>
    (
      await pg.query(`SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2`, [
        storeId,
        productId,
      ])
    ).rows[0].quantity as number;

  it("keeps central's price when a till reprices, and the till shows central's row right after the push (G3)", async () => {
    const before = await centralProduct();
    a.till().prepare(`UPDATE products SET price_cents = 1 WHERE id = ?`).run(productId);
    const cycle = await a.engine.runCycle();
    expect([cycle.error, cycle.conflicts]).toEqual([undefined, 1]);
    // Central wrote nothing (no new version, nothing in the feed): only the push answer can have
    // put central's price back on the till.
    expect(await centralProduct()).toEqual(before);
    expect(product(a)).toEqual(before);
    const logged = await pg.query(
      `SELECT strategy, resolution, terminal_data->>'price_cents' AS till, central_data->>'price_cents' AS central
         FROM conflicts WHERE entity_id = $1`,
      [productId],
    );
    expect(logged.rows).toEqual([{ strategy: "CENTRAL_WINS", resolution: "CENTRAL_KEPT", till: "1", central: "300" }]);
    expect(a.db.prepare(`SELECT status, error FROM outbox WHERE entity_id = ?`).all(productId)).toEqual([
      { status: "CONFLICT", error: "CENTRAL_WINS: CENTRAL_KEPT" },
    ]);
  });

  it("applies the till's name with central's price, and every till converges on that row", async () => {
    b.till().prepare(`UPDATE products SET name = 'Rye bread', price_cents = 2 WHERE id = ?`).run(productId);
    expect((await b.engine.runCycle()).error).toBeUndefined();
    const after = await centralProduct();
    expect(after).toMatchObject({ name: "Rye bread", price_cents: 300 });
    expect(product(b)).toEqual(after);
    expect((await a.engine.runCycle()).error).toBeUndefined();
    expect(product(a)).toEqual(after);
  });

  it("sends a direct stock count once, as a COUNT movement, while another till sells (G4)", async () => {
    expect([shownStock(a), shownStock(b), await centralStock()]).toEqual([40, 40, 40]);
    a.till().prepare(`UPDATE inventory_items SET quantity = 7 WHERE product_id = ?`).run(productId);
    b.till()
      .prepare(`INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -2, 'SALE')`)
      .run(storeId, productId);
    expect([shownStock(a), shownStock(b)]).toEqual([7, 38]);
    // Till a pushes its count: central = 40 − 33; b's sale has not arrived, so b shows 7 − 2.
    expect((await a.engine.runCycle()).error).toBeUndefined();
    expect(await centralStock()).toBe(7);
    expect((await b.engine.runCycle()).error).toBeUndefined();
    expect(await centralStock()).toBe(5);
    for (let i = 0; i < 2; i++) for (const t of [a, b]) expect((await t.engine.runCycle()).error).toBeUndefined();
    expect([shownStock(a), shownStock(b), await centralStock()]).toEqual([5, 5, 5]);
    const movements = await pg.query(
      `SELECT delta, reason::text, terminal_id FROM inventory_adjustments WHERE product_id = $1 AND reason = 'COUNT' AND terminal_id IS NOT NULL`,
      [productId],
    );
    expect(movements.rows).toEqual([{ delta: -33, reason: "COUNT", terminal_id: aId }]);
    expect(a.db.prepare(`SELECT count(*) AS n FROM outbox WHERE entity_type = 'inventory_items'`).get()).toEqual({
      n: 0,
    });
  });

  it("puts central's category back over a till's edit on the next pull, and status counts it", async () => {
    const categoryId = randomUUID();
    await pg.query(`INSERT INTO categories (id, name) VALUES ($1, 'Bakery')`, [categoryId]);
    expect((await a.engine.runCycle()).error).toBeUndefined();
    a.till().prepare(`UPDATE categories SET name = 'Cakes' WHERE id = ?`).run(categoryId);
    expect((await a.engine.runCycle()).error).toBeUndefined();
    expect(a.db.prepare(`SELECT name FROM categories WHERE id = ?`).get(categoryId)).toEqual({ name: "Bakery" });
    expect((await pg.query(`SELECT name FROM categories WHERE id = $1`, [categoryId])).rows).toEqual([
      { name: "Bakery" },
    ]);
    const status = await runCli(["status"], envOf(a.config, { local: true }));
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("local edits discarded: 1 (categories 1)");
  });
});
