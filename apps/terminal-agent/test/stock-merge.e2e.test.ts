import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent, type TestAgent } from "../testing";
import { ControllableProxy } from "@tillsync/testkit";

const { central, pg } = useTestCentral("g4");

/** G4: offline sales on several tills all count; each till shows central's stock + its own. */
describe("stock merges add up (G4)", () => {
  const tills: Array<{ agent: TestAgent; proxy: ControllableProxy }> = [];
  const productId = randomUUID();
  let storeId: string;

  beforeAll(async () => {
    const first = await central.provisionTerminal();
    storeId = first.storeId;
    await central.admin("POST", "/api/products", { id: productId, sku: "G4", name: "Bread", priceCents: 300 });
    await central.admin("POST", "/api/stock", { storeId, productId, quantity: 100 });
    for (let i = 0; i < 3; i++) {
      const creds = i === 0 ? first : await central.provisionTerminal({ storeId });
      const proxy = new ControllableProxy(central.running.port);
      await proxy.listen();
      tills.push({ agent: createTestAgent(proxy.url, creds, { SYNC_TIMEOUT: 5 }), proxy });
    }
  });

  afterAll(async () => {
    for (const t of tills) {
      await t.agent.destroy();
      await t.proxy.close();
    }
  });

  const shown = (t: TestAgent) =>
    (
      t.till().prepare(`SELECT quantity FROM inventory_items WHERE product_id = ?`).get(productId) as {
        quantity: number;
      }
    ).quantity;
  const atCentral = async () =>
    (
      await pg.query(`SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2`, [
        storeId,
        productId,
      ])
    ).rows[0].quantity as number;

  function sell(t: TestAgent, qty: number): void {
    const db = t.till();
    const order = randomUUID();
    db.transaction(() => {
      db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', ?)`).run(
        order,
        storeId,
        qty * 300,
      );
      db.prepare(
        `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, ?, 300, ?)`,
      ).run(randomUUID(), order, productId, qty, qty * 300);
      db.prepare(
        `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, ?, 'SALE')`,
      ).run(randomUUID(), storeId, productId, -qty);
    })();
  }

  it("shows central + own sales while cut off, and converges on start − everything sold", async () => {
    for (const t of tills) expect((await t.agent.engine.runCycle()).error).toBeUndefined();
    expect(tills.map((t) => shown(t.agent))).toEqual([100, 100, 100]);

    for (const t of tills) t.proxy.cut();
    const sold = [7, 11, 4];
    tills.forEach((t, i) => {
      sell(t.agent, sold[i]! - 1);
      sell(t.agent, 1);
    });
    for (const t of tills) expect((await t.agent.engine.runCycle()).error).toBeDefined();
    expect(tills.map((t) => shown(t.agent))).toEqual([93, 89, 96]);
    expect(await atCentral()).toBe(100);

    // Central comes back for the first till only: the others still show central's last value + their own.
    tills[0]!.proxy.reconnect();
    await tills[0]!.agent.engine.runCycle();
    expect(await atCentral()).toBe(93);
    expect(shown(tills[0]!.agent)).toBe(93);
    expect(tills.slice(1).map((t) => shown(t.agent))).toEqual([89, 96]);

    for (const t of tills) t.proxy.reconnect();
    for (let round = 0; round < 2; round++)
      for (const t of tills) expect((await t.agent.engine.runCycle()).error).toBeUndefined();
    expect(await atCentral()).toBe(100 - 22);
    expect(tills.map((t) => shown(t.agent))).toEqual([78, 78, 78]);
    const orders = (await pg.query(`SELECT count(*)::int AS n FROM sale_orders`)).rows[0].n;
    expect(orders).toBe(6);
  });
});
