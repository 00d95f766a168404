import { randomUUID } from "node:crypto";
import { readAgentStatus } from "../src/status/agent-status";
import { createTestAgent, type TestAgent } from "../testing";
import { useRestorableCentral } from "./support/restorable-central";

/**
 * Central restored from an older backup (issue 12 §4): tills keep selling after the backup,
 * central is restored, and once the agents notice (409 FEED_RESET: the restored database has a
 * new epoch) every sale made since the backup is at central exactly once and stock adds up.
 * The backup and the restore are database copies (CREATE DATABASE … TEMPLATE), as a pg_dump
 * and pg_restore into a new database would be.
 */
const { central, pg, backup, restore } = useRestorableCentral("restore");

describe("central restored from an older backup", () => {
  const tills: TestAgent[] = [];
  const productId = randomUUID();
  let storeId: string;
  const sold: number[] = [];

  beforeAll(async () => {
    const first = await central.provisionTerminal();
    storeId = first.storeId;
    await central.admin("POST", "/api/products", { id: productId, sku: "R-1", name: "Milk", priceCents: 100 });
    await central.admin("POST", "/api/stock", { storeId, productId, quantity: 1000 });
    for (let i = 0; i < 3; i++) {
      const creds = i === 0 ? first : await central.provisionTerminal({ storeId });
      tills.push(createTestAgent(central.url, creds, { SYNC_TIMEOUT: 5 }));
    }
  });

  afterAll(async () => {
    for (const t of tills) await t.destroy();
  });

  /** A sale; completed at once, or later by `complete` (then the order has two outbox rows). */
  function sell(t: TestAgent, qty: number, completeNow = true): string {
    const db = t.till();
    const order = randomUUID();
    db.transaction(() => {
      db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', ?)`).run(
        order,
        storeId,
        qty * 100,
      );
      db.prepare(
        `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, ?, 100, ?)`,
      ).run(randomUUID(), order, productId, qty, qty * 100);
      db.prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CASH', ?)`).run(
        randomUUID(),
        order,
        qty * 100,
      );
      db.prepare(
        `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, ?, 'SALE')`,
      ).run(randomUUID(), storeId, productId, -qty);
    })();
    sold.push(qty);
    if (completeNow) complete(t, order);
    return order;
  }
  function complete(t: TestAgent, order: string): void {
    t.till()
      .prepare(`UPDATE sale_orders SET status = 'COMPLETED', completed_at = ? WHERE id = ?`)
      .run(new Date().toISOString(), order);
  }

  const cycleAll = async () => {
    for (const t of tills) expect((await t.engine.runCycle()).error).toBeUndefined();
  };
  const atCentral = async () => {
    const q = await pg.query(
      `SELECT (SELECT count(*)::int FROM sale_orders) AS orders,
              (SELECT count(*)::int FROM payments) AS payments,
              (SELECT coalesce(sum(quantity), 0)::int FROM sale_order_lines) AS units,
              (SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2) AS stock,
              (SELECT sum(delta)::int FROM inventory_adjustments WHERE store_id = $1 AND product_id = $2) AS ledger`,
      [storeId, productId],
    );
    return q.rows[0] as { orders: number; payments: number; units: number; stock: number; ledger: number };
  };
  const shown = (t: TestAgent) =>
    (
      t.till().prepare(`SELECT quantity FROM inventory_items WHERE product_id = ?`).get(productId) as {
        quantity: number;
      }
    ).quantity;

  it("after the agents notice, every sale since the backup is at central exactly once and stock adds up", async () => {
    for (const t of tills) sell(t, 2);
    await cycleAll();
    await backup();

    // After the backup: every till sells and syncs, then completes the order and syncs again;
    // central confirms it all.
    const orders = tills.map((t, i) => sell(t, 3 + i, false));
    await cycleAll();
    tills.forEach((t, i) => complete(t, orders[i]!));
    await cycleAll();
    const beforeRestore = await atCentral();
    // One more sale at till 3 that does not reach central before the crash.
    sell(tills[2]!, 5);

    await restore();
    expect((await atCentral()).orders).toBe(3); // the restored central knows only the first sales

    const reports = [];
    for (const t of tills) reports.push(await t.engine.runCycle());
    expect(reports.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    expect(reports.map((r) => r.recovery?.kind)).toEqual(["FEED_RESET", "FEED_RESET", "FEED_RESET"]);
    expect(reports.map((r) => r.recovery?.reason)).toEqual(["EPOCH_CHANGED", "EPOCH_CHANGED", "EPOCH_CHANGED"]);
    // Each till's sale after the backup was lost by central and applied again (order, line,
    // payment, adjustment); the first sales were still known (DUPLICATE).
    expect(reports.map((r) => r.recovery!.reapplied)).toEqual([4, 4, 4]);
    await cycleAll(); // the next pulls bring every till central's new stock

    const total = sold.reduce((a, b) => a + b, 0);
    const after = await atCentral();
    expect(after).toEqual({ orders: 7, payments: 7, units: total, stock: 1000 - total, ledger: 1000 - total });
    expect(after.orders).toBe(beforeRestore.orders + 1);
    expect((await pg.query(`SELECT count(*)::int AS n FROM sale_orders WHERE status = 'COMPLETED'`)).rows[0].n).toBe(7);
    expect(tills.map(shown)).toEqual([1000 - total, 1000 - total, 1000 - total]);
    const status = readAgentStatus(tills[0]!.db, 300_000);
    expect(status.feedRecovery).toMatchObject({ kind: "FEED_RESET", reapplied: 4 });
    expect(status.totals.pending).toBe(0);
  });
});
