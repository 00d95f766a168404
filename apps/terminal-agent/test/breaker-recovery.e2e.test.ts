import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { ControllableProxy, waitFor } from "@tillsync/testkit";
import { createTestAgent, type TestAgent } from "../testing";
import { HeartbeatSender, startSocketLink, transportFromConfig, type CentralTransport, type SocketLink } from "../src";

const { central, pg } = useTestCentral("breaker");

/** The target (issue 11, G9): a till syncs within 10 s of central answering again. */
const RESUME_TARGET_MS = 10_000;

/**
 * An open breaker waits out its cool-down only while central still fails: evidence that central
 * answers again (the socket reconnects, a heartbeat gets through) sends the half-open probe at
 * once. The cool-down here is the 5-minute cap from its first opening, the worst case.
 */
describe("breaker recovery when central is back (G9)", () => {
  const agents: TestAgent[] = [];
  const proxies: ControllableProxy[] = [];
  const links: SocketLink[] = [];
  const heartbeats: HeartbeatSender[] = [];

  afterAll(async () => {
    for (const h of heartbeats) h.stop();
    for (const l of links) await l.stop();
    for (const a of agents) await a.destroy();
    for (const p of proxies) await p.close();
  });

  async function setup() {
    const creds = await central.provisionTerminal();
    const proxy = new ControllableProxy(central.running.port);
    await proxy.listen();
    proxies.push(proxy);
    const agent = createTestAgent(
      proxy.url,
      creds,
      { SOCKET_RECONNECT_DELAY_MAX_MS: 1_000 },
      {
        machine: {
          breakerWindowMs: 0,
          breakerFirstCooldownMs: 5 * 60_000,
          breakerCooldownMs: 5 * 60_000,
          backoff: () => 10,
        },
      },
    );
    agents.push(agent);
    return { creds, proxy, agent, till: agent.till() };
  }

  function sell(till: Database.Database, storeId: string): string {
    const id = randomUUID();
    till
      .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 700)`)
      .run(id, storeId);
    return id;
  }
  const atCentral = async (orderId: string) =>
    (await pg.query(`SELECT 1 FROM sale_orders WHERE id = $1`, [orderId])).rowCount === 1;

  async function openBreaker(proxy: ControllableProxy, agent: TestAgent): Promise<void> {
    proxy.cut();
    agent.engine.start();
    void agent.engine.runCycle();
    await waitFor(() => agent.engine.current.kind === "circuit-open", { what: "breaker open" });
  }

  it("probes at once when the socket reconnects, and drains a sale made while the circuit was open", async () => {
    const { creds, proxy, agent, till } = await setup();
    const link = startSocketLink(agent, agent.config);
    links.push(link);
    await waitFor(() => link.connected, { what: "socket connected" });
    await openBreaker(proxy, agent);
    await waitFor(() => !link.connected, { what: "socket dropped" });
    const sale = sell(till, creds.storeId);
    const retryAt = (agent.engine.current as { retryAt: number }).retryAt;
    expect(retryAt - Date.now()).toBeGreaterThan(4 * 60_000); // the breaker would wait minutes

    proxy.reconnect();
    await waitFor(() => atCentral(sale), { what: "sale at central after the reconnect", timeoutMs: RESUME_TARGET_MS });
    await waitFor(() => agent.engine.current.kind === "idle", { what: "circuit closed" });
  });

  it("probes at once when a heartbeat gets through again, without any socket", async () => {
    const { creds, proxy, agent, till } = await setup();
    const heartbeat = new HeartbeatSender(transportFromConfig(agent.config), agent, 200).start();
    heartbeats.push(heartbeat);
    await openBreaker(proxy, agent);
    const sale = sell(till, creds.storeId);
    // A beat fails while central is away, so the next one that lands is news.
    await waitFor(
      async () => {
        await heartbeat.beatNow();
        return agent.engine.current.kind === "circuit-open";
      },
      { what: "a failed beat while the breaker is open" },
    );

    proxy.reconnect();
    await waitFor(() => atCentral(sale), { what: "sale at central after a heartbeat", timeoutMs: RESUME_TARGET_MS });
    await waitFor(() => agent.engine.current.kind === "idle", { what: "circuit closed" });
  });

  it("probes at once when central sends a sync:trigger, while the socket never dropped", async () => {
    const { creds, proxy, agent, till } = await setup();
    // The socket goes straight to central; only the HTTP path is cut (central's API failing).
    const link = startSocketLink(agent, { ...agent.config, CENTRAL_API_URL: central.url });
    links.push(link);
    await waitFor(() => link.connected, { what: "socket connected" });
    await openBreaker(proxy, agent);
    const sale = sell(till, creds.storeId);
    proxy.reconnect();
    expect(agent.engine.current.kind).toBe("circuit-open"); // nothing told it central answers again

    expect((await central.admin("POST", "/api/sync/all", { terminalId: creds.terminalId })).status).toBe(202);
    await waitFor(() => atCentral(sale), { what: "sale at central after the trigger", timeoutMs: RESUME_TARGET_MS });
    expect(link.connected).toBe(true);
  });

  it("learns from its faster failing heartbeats that central is back, while the socket never dropped", async () => {
    const { creds, proxy, agent, till } = await setup();
    const link = startSocketLink(agent, { ...agent.config, CENTRAL_API_URL: central.url });
    links.push(link);
    await waitFor(() => link.connected, { what: "socket connected" });
    // A minute between beats while they land; 100 ms while they fail.
    const http = transportFromConfig(agent.config);
    let failedBeats = 0;
    const transport: CentralTransport = {
      push: (c) => http.push(c),
      pull: (c, l, e) => http.pull(c, l, e),
      acknowledge: (c) => http.acknowledge(c),
      heartbeat: (b) =>
        http.heartbeat(b).catch((err: unknown) => {
          failedBeats++;
          throw err;
        }),
    };
    const heartbeat = new HeartbeatSender(transport, agent, 60_000, undefined, 100);
    heartbeats.push(heartbeat);
    await openBreaker(proxy, agent);
    const sale = sell(till, creds.storeId);
    heartbeat.start();
    await waitFor(() => failedBeats >= 2, { what: "a second failed beat well before the minute" });

    proxy.reconnect();
    await waitFor(() => atCentral(sale), { what: "sale at central after a beat landed", timeoutMs: RESUME_TARGET_MS });
    expect(link.connected).toBe(true);
  });
});
