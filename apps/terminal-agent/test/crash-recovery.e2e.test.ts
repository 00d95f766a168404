import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent } from "../testing";
import { ControllableProxy, waitFor } from "@tillsync/testkit";
import { CLI_ARGS } from "./support/agent-cli";

const { central, pg } = useTestCentral("crash");

/** G1 across a crash: central committed the batch, the agent died before marking its outbox. */
describe("agent killed after central committed (G1)", () => {
  it("doubles nothing and loses nothing after SIGKILL and restart", async () => {
    const creds = await central.provisionTerminal();
    const productId = randomUUID();
    await central.admin("POST", "/api/products", { id: productId, sku: "CR", name: "cr", priceCents: 100 });
    await central.admin("POST", "/api/stock", { storeId: creds.storeId, productId, quantity: 20 });
    const proxy = new ControllableProxy(central.running.port);
    await proxy.listen();
    const agent = createTestAgent(proxy.url, creds);
    await agent.engine.runCycle();
    const order = randomUUID();
    const till = agent.till();
    till.transaction(() => {
      till
        .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 500)`)
        .run(order, creds.storeId);
      till
        .prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CASH', 500)`)
        .run(randomUUID(), order);
      till
        .prepare(
          `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, -5, 'SALE')`,
        )
        .run(randomUUID(), creds.storeId, productId);
    })();
    await agent.close();

    // A separate agent process pushes; central commits; its answer never arrives.
    proxy.swallowResponses = true;
    const child = spawn(process.execPath, [...CLI_ARGS, "sync"], {
      env: {
        ...process.env,
        ...Object.fromEntries(
          Object.entries(agent.config)
            .filter(([k]) => /^[A-Z_]+$/.test(k))
            .map(([k, v]) => [k, String(v)]),
        ),
      },
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (_c, signal) => resolve(signal ? null : _c)),
    );
    await waitFor(async () => (await pg.query(`SELECT 1 FROM sale_orders WHERE id = $1`, [order])).rowCount === 1, {
      what: "central commit",
    });
    expect(
      (till.prepare(`SELECT DISTINCT status FROM outbox`).all() as Array<{ status: string }>).map((r) => r.status),
    ).toEqual(["SYNCING"]);
    child.kill("SIGKILL");
    expect(await exited).toBeNull();
    proxy.swallowResponses = false;

    const restarted = createTestAgent(proxy.url, creds, { databasePath: agent.config.databasePath });
    try {
      const r = await restarted.engine.runCycle();
      expect(r.error).toBeUndefined();
      expect(restarted.till().prepare(`SELECT DISTINCT status FROM outbox`).all()).toEqual([{ status: "SYNCED" }]);
      expect((await pg.query(`SELECT count(*)::int AS n FROM sale_orders WHERE id = $1`, [order])).rows[0].n).toBe(1);
      expect((await pg.query(`SELECT count(*)::int AS n FROM payments WHERE order_id = $1`, [order])).rows[0].n).toBe(
        1,
      );
      expect(
        (await pg.query(`SELECT quantity FROM inventory_items WHERE product_id = $1`, [productId])).rows[0].quantity,
      ).toBe(15);
      expect(
        (
          restarted.till().prepare(`SELECT quantity FROM inventory_items WHERE product_id = ?`).get(productId) as {
            quantity: number;
          }
        ).quantity,
      ).toBe(15);
    } finally {
      await restarted.close();
      await proxy.close();
    }
  });
});
