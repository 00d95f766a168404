import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent, type TestAgent } from "../testing";
import { envOf, runCli } from "./support/agent-cli";

const { central, pg } = useTestCentral("resend");

/** `tillsync-agent resend --since`: re-sends by hand what central confirmed and then lost. */
describe("tillsync-agent resend", () => {
  let agent: TestAgent;
  let storeId: string;
  const productId = randomUUID();

  beforeAll(async () => {
    const creds = await central.provisionTerminal();
    storeId = creds.storeId;
    await central.admin("POST", "/api/products", { id: productId, sku: "RS", name: "rs", priceCents: 100 });
    agent = createTestAgent(central.url, creds);
  });

  afterAll(() => rmSync(agent.dir, { recursive: true, force: true }));

  function sell(createdAt: string): string {
    const order = randomUUID();
    const db = agent.till();
    const before = (db.prepare(`SELECT coalesce(max(id), 0) AS id FROM outbox`).get() as { id: number }).id;
    db.transaction(() => {
      db.prepare(
        `INSERT INTO sale_orders (id, store_id, status, total_cents, created_at) VALUES (?, ?, 'COMPLETED', 100, ?)`,
      ).run(order, storeId, createdAt);
      db.prepare(
        `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, -1, 'SALE')`,
      ).run(randomUUID(), storeId, productId);
    })();
    // The outbox rows' own time decides what --since selects.
    db.prepare(`UPDATE outbox SET created_at = ? WHERE id > ?`).run(createdAt, before);
    return order;
  }

  it("re-sends the synced changes made since the given time; central applies those it lost, once", async () => {
    const early = sell("2026-11-01T10:00:00.000Z");
    const late = sell("2026-11-20T10:00:00.000Z");
    expect((await agent.engine.runCycle()).error).toBeUndefined();
    await agent.close();
    // Central loses both sales and their idempotency records (as a restore would).
    await pg.query(`DELETE FROM sale_orders`);
    await pg.query(`DELETE FROM inventory_adjustments WHERE product_id = $1`, [productId]);
    await pg.query(`UPDATE inventory_items SET quantity = 0 WHERE product_id = $1`, [productId]);
    await pg.query(`DELETE FROM applied_changes`);

    const env = envOf(agent.config);
    const r = await runCli(["resend", "--since", "2026-11-15T00:00:00Z"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^re-sent 2 change\(s\) made since 2026-11-15T00:00:00.000Z: 2 applied again/);
    const orders = await pg.query(`SELECT id FROM sale_orders`);
    expect(orders.rows.map((o) => o.id)).toEqual([late]);
    expect(orders.rows.map((o) => o.id)).not.toContain(early);
    const stock = await pg.query(`SELECT quantity FROM inventory_items WHERE product_id = $1`, [productId]);
    expect(stock.rows[0].quantity).toBe(-1);

    // Sending again is harmless: central answers DUPLICATE and nothing moves.
    const again = await runCli(["resend", "--since", "2026-11-15"], env);
    expect(again.stdout).toMatch(/2 already at central/);
    expect(
      (await pg.query(`SELECT quantity FROM inventory_items WHERE product_id = $1`, [productId])).rows[0].quantity,
    ).toBe(-1);
  });

  it("sends nothing with SYNC_ENABLED=false, and says so", async () => {
    const before = (await pg.query(`SELECT count(*)::int AS n FROM applied_changes`)).rows[0].n;
    const r = await runCli(["resend", "--since", "2000-01-01"], { ...envOf(agent.config), SYNC_ENABLED: "false" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("sync is disabled on this terminal");
    expect((await pg.query(`SELECT count(*)::int AS n FROM applied_changes`)).rows[0].n).toBe(before);
  });

  it("refuses a --since that is not an ISO time with exit 2 and one line", async () => {
    const r = await runCli(["resend", "--since", "yesterday"], envOf(agent.config));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/--since.*ISO-8601/);
  });
});
