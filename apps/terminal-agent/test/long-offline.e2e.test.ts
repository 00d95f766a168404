import { randomUUID } from "node:crypto";
import { Priority } from "@tillsync/shared";
import { compactFeedAndExpireHistory, retentionDaysOf } from "@tillsync/central";
import { useTestCentral } from "@tillsync/central/testing";
import { ControllableProxy } from "@tillsync/testkit";
import { readAgentStatus } from "../src/status/agent-status";
import { createTestAgent, type TestAgent } from "../testing";

const { central, pg } = useTestCentral("long_offline");

/**
 * A terminal kept offline across a feed compaction (issue 12 §6): back online, its cursor is
 * older than the compacted feed (410 CURSOR_EXPIRED), and it recovers by itself: re-downloads,
 * loses the rows central deleted meanwhile, keeps its unpushed changes, and pushes them after.
 */
describe("a terminal offline longer than the feed's retention", () => {
  let away: TestAgent;
  let online: TestAgent;
  let proxy: ControllableProxy;
  let storeId: string;
  const deleted = randomUUID();
  const repriced = randomUUID();
  const local = randomUUID();

  beforeAll(async () => {
    const a = await central.provisionTerminal();
    storeId = a.storeId;
    const b = await central.provisionTerminal({ storeId });
    proxy = new ControllableProxy(central.running.port);
    await proxy.listen();
    away = createTestAgent(proxy.url, a, { SYNC_TIMEOUT: 5 });
    online = createTestAgent(central.url, b);
    for (const [id, sku] of [
      [deleted, "GONE"],
      [repriced, "KEPT"],
    ])
      await central.admin("POST", "/api/products", { id, sku, name: sku, priceCents: 100 });
    await central.admin("POST", "/api/stock", { storeId, productId: repriced, quantity: 50 });
  });

  afterAll(async () => {
    await away.destroy();
    await online.destroy();
    await proxy.close();
  });

  const product = (t: TestAgent, id: string) =>
    t.till().prepare(`SELECT price_cents FROM products WHERE id = ?`).get(id) as { price_cents: number } | undefined;
  const shownStock = (t: TestAgent) =>
    (
      t.till().prepare(`SELECT quantity FROM inventory_items WHERE product_id = ?`).get(repriced) as {
        quantity: number;
      }
    ).quantity;

  it("gets 410 CURSOR_EXPIRED back online, re-downloads by itself and keeps its unpushed changes", async () => {
    expect((await away.engine.runCycle()).error).toBeUndefined();
    expect(product(away, deleted)).toBeDefined();

    proxy.cut();
    // Offline: a sale's stock movement and a product created at the till, neither pushed.
    const till = away.till();
    till
      .prepare(
        `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, -3, 'SALE')`,
      )
      .run(randomUUID(), storeId, repriced);
    till
      .prepare(`INSERT INTO products (id, sku, name, price_cents) VALUES (?, 'LOCAL', 'made at the till', 70)`)
      .run(local);
    expect((await away.engine.runCycle()).error).toBeDefined();

    // Meanwhile at central: a product deleted, another repriced; the other till keeps up.
    await pg.query(`DELETE FROM products WHERE id = $1`, [deleted]);
    await central.admin("POST", "/api/products", { id: repriced, sku: "KEPT", name: "KEPT", priceCents: 120 });
    expect((await online.engine.runCycle()).error).toBeUndefined();
    // Forty days on, the daily cleanup runs: the deletion is older than FEED_RETENTION_DAYS, and
    // so is the last time central saw the offline till.
    await pg.query(`UPDATE change_feed SET created_at = now() - interval '40 days' WHERE entity_id = $1`, [deleted]);
    await pg.query(`UPDATE terminals SET last_seen_at = now() - interval '40 days' WHERE id = $1`, [
      away.config.TERMINAL_ID,
    ]);
    expect(
      (await compactFeedAndExpireHistory(central.running.store, retentionDaysOf(central.config))).expiredDeletions,
    ).toBe(1);

    proxy.reconnect();
    // Only CRITICAL changes are due: the sale's movement (HIGH) and the product (MEDIUM) stay unpushed.
    const back = await away.engine.runCycle(Priority.CRITICAL);
    expect(back.error).toBeUndefined();
    expect(back.recovery).toMatchObject({ kind: "CURSOR_EXPIRED", reason: "COMPACTED", resent: 0, removed: 1 });
    expect(product(away, deleted)).toBeUndefined();
    expect(product(away, repriced)).toEqual({ price_cents: 120 });
    expect(product(away, local)).toEqual({ price_cents: 70 });
    expect(shownStock(away)).toBe(47); // central's 50 + the unpushed −3 (G4)
    expect(readAgentStatus(away.db, 300_000).feedRecovery).toMatchObject({ kind: "CURSOR_EXPIRED" });

    // The next full cycle pushes what was kept, and the till is in step with central.
    expect((await away.engine.runCycle()).error).toBeUndefined();
    expect((await away.engine.runCycle()).recovery).toBeUndefined();
    const stock = await pg.query(`SELECT quantity FROM inventory_items WHERE product_id = $1`, [repriced]);
    expect(stock.rows[0].quantity).toBe(47);
    expect((await pg.query(`SELECT price_cents FROM products WHERE id = $1`, [local])).rows).toEqual([
      { price_cents: 70 },
    ]);
    expect(shownStock(away)).toBe(47);
  });
});
