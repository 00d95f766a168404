import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent } from "../testing";
import { ControllableProxy, waitFor } from "@tillsync/testkit";

const { central, pg } = useTestCentral("lifecycle");

/** stop(): the batches in flight (up to two, sync/push-pipeline.ts) complete and are recorded; no further batch is taken. */
describe("sync engine stop", () => {
  let proxy: ControllableProxy;

  beforeAll(async () => {
    proxy = new ControllableProxy(central.running.port);
    await proxy.listen();
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it("finishes the batches in flight, takes no new one, and ends stopped", async () => {
    const creds = await central.provisionTerminal();
    const agent = createTestAgent(proxy.url, creds, { SYNC_BATCH_SIZE: 1 });
    const till = agent.till();
    const orders = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of orders)
      till
        .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 100)`)
        .run(id, creds.storeId);

    proxy.hold();
    const cycle = agent.engine.runCycle();
    // The second batch is claimed beside the first before the first byte reaches the proxy.
    await waitFor(() => proxy.heldChunks > 0, { what: "first batch in flight" });
    const stopping = agent.engine.stop();
    proxy.release();
    await stopping;
    const report = await cycle;
    expect(report).toMatchObject({ pushed: 2, pulled: 0 });
    expect(agent.engine.current.kind).toBe("stopped");
    const statuses = till.prepare(`SELECT entity_id, status FROM outbox ORDER BY id`).all();
    expect(statuses).toEqual([
      { entity_id: orders[0], status: "SYNCED" },
      { entity_id: orders[1], status: "SYNCED" },
      { entity_id: orders[2], status: "PENDING" },
    ]);
    expect((await pg.query(`SELECT id FROM sale_orders ORDER BY id`)).rows).toEqual(
      orders
        .slice(0, 2)
        .sort()
        .map((id) => ({ id })),
    );
    await agent.destroy();
  });
});
