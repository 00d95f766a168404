import { randomUUID } from "node:crypto";
import { syncAllResponseSchema, syncRunResponseSchema } from "@tillsync/shared";
import { useTestCentral } from "@tillsync/central/testing";
import { waitFor } from "@tillsync/testkit";
import { HeartbeatSender, startSocketLink, transportFromConfig, type SocketLink } from "../src";
import { createTestAgent, type TestAgent } from "../testing";

const { central } = useTestCentral("syncrun");

/**
 * A sync run against a real agent (SPEC §4 GET /api/sync/runs/:id): the agent's triggered
 * cycle pushes its sale and pulls the catalogue, acks, and the run reports both counts.
 */
describe("a sync run with a real agent", () => {
  let agent: TestAgent;
  let link: SocketLink;
  let heartbeat: HeartbeatSender;

  afterAll(async () => {
    heartbeat?.stop();
    await link?.stop();
    await agent?.destroy();
  });

  it("completes on the agent's ack with what its cycle pushed and pulled", async () => {
    const t = await central.provisionTerminal();
    agent = createTestAgent(central.url, t);
    heartbeat = new HeartbeatSender(transportFromConfig(agent.config), agent, 60_000).start();
    link = startSocketLink(agent, agent.config, { heartbeat });
    await waitFor(() => link.connected, { what: "link connected" });
    // The restart round and the first pull go by before the run starts.
    await waitFor(async () => !(await central.running.redis.exists(`hub:trigger:pending:${t.terminalId}`)), {
      what: "no trigger pending",
    });
    const product = await central.admin<{ product: { id: string } }>("POST", "/api/products", {
      sku: `RUN-${t.terminalId.slice(0, 6)}`,
      name: "Run",
      priceCents: 90,
    });
    // Its DATA_CHANGED cycle is over (the product is in the till) before the sale is written, so
    // the sale waits for the run's cycle: a local write alone starts no cycle of the socket link.
    await waitFor(() => agent.till().prepare("SELECT 1 FROM products WHERE id = ?").get(product.body.product.id), {
      what: "the product in the till",
    });
    await waitFor(async () => !(await central.running.redis.exists(`hub:trigger:pending:${t.terminalId}`)), {
      what: "DATA_CHANGED acked",
    });
    const orderId = randomUUID();
    agent
      .till()
      .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 90)`)
      .run(orderId, t.storeId);

    const started = await central.admin("POST", "/api/sync/all", { terminalId: t.terminalId });
    const { runId } = syncAllResponseSchema.parse(started.body);
    const r = await central.admin("GET", `/api/sync/runs/${runId}?wait=30`);
    expect(r.status).toBe(200);
    const run = syncRunResponseSchema.parse(r.body);
    expect(run).toMatchObject({ type: "MANUAL", status: "SUCCESS", success: true, errors: [] });
    expect(run.terminals).toEqual({ triggered: 1, acked: 1, completed: 1, failed: 0 });
    expect(run.records.pushed).toBe(1);
    expect(run.results[0]).toMatchObject({ terminalId: t.terminalId, state: "ACKED", pushed: 1 });
    expect(run.statistics.total_records).toBe(run.records.pushed + run.records.pulled);
    expect(run.statistics.sync_completed_at).toBe(run.completedAt);
  });
});
