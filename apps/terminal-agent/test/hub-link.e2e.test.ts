import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent, type TestAgent } from "../testing";
import { waitFor } from "@tillsync/testkit";
import { HeartbeatSender, startSocketLink, transportFromConfig, type SocketLink } from "../src";

interface TerminalRow {
  id: string;
  status: string;
  health: string;
  agentStatus: string | null;
}

const { central } = useTestCentral("hublink");

/** The agent's socket link against a real hub: triggers, DATA_CHANGED, emergency stop, heartbeats. */
describe("agent socket link", () => {
  let storeId: string;
  const agents: TestAgent[] = [];
  const links: SocketLink[] = [];
  const heartbeats: HeartbeatSender[] = [];

  async function newAgent(): Promise<{ agent: TestAgent; link: SocketLink; terminalId: string }> {
    const t = await central.provisionTerminal({ storeId });
    const agent = createTestAgent(central.url, t);
    agents.push(agent);
    const heartbeat = new HeartbeatSender(transportFromConfig(agent.config), agent, 60_000).start();
    heartbeats.push(heartbeat);
    const link = startSocketLink(agent, agent.config, { heartbeat });
    links.push(link);
    await waitFor(() => link.connected, { what: "link connected" });
    return { agent, link, terminalId: t.terminalId };
  }

  const terminals = async () =>
    (await central.admin<{ terminals: TerminalRow[] }>("GET", "/api/terminals")).body.terminals;

  beforeAll(async () => {
    const s = await central.admin<{ store: { id: string } }>("POST", "/api/stores", { name: "Link store" });
    storeId = s.body.store.id;
  });

  afterAll(async () => {
    for (const h of heartbeats) h.stop();
    for (const l of links) await l.stop();
    for (const a of agents) await a.destroy();
  });

  it("syncs and acks on the trigger POST /api/sync/all sends", async () => {
    const { agent, link, terminalId } = await newAgent();
    const productId = randomUUID();
    await central.admin("POST", "/api/products", {
      id: productId,
      sku: `SKU-${productId.slice(0, 8)}`,
      name: "Tea",
      priceCents: 250,
    });
    const acked: string[] = [];
    link.on("acked", (a) => acked.push(a.type));
    const r = await central.admin("POST", "/api/sync/all", { terminalId });
    expect(r.status).toBe(202);
    await waitFor(() => acked.includes("FULL"), { what: "FULL trigger acked" });
    expect(agent.till().prepare("SELECT price_cents FROM products WHERE id = ?").get(productId)).toEqual({
      price_cents: 250,
    });
    await waitFor(async () => !(await central.running.redis.exists(`hub:trigger:pending:${terminalId}`)), {
      what: "pending cleared",
    });
  });

  it("applies a price change at central in connected agents without a manual sync (DATA_CHANGED)", async () => {
    const { agent } = await newAgent();
    const productId = randomUUID();
    await central.admin("POST", "/api/products", {
      id: productId,
      sku: `DC-${productId.slice(0, 8)}`,
      name: "Cake",
      priceCents: 300,
    });
    const price = () =>
      (
        agent.till().prepare("SELECT price_cents FROM products WHERE id = ?").get(productId) as
          { price_cents: number } | undefined
      )?.price_cents;
    await waitFor(() => price() === 300, { what: "new product arrives" });
    await central.admin("POST", "/api/products", {
      id: productId,
      sku: `DC-${productId.slice(0, 8)}`,
      name: "Cake",
      priceCents: 275,
    });
    await waitFor(() => price() === 275, { what: "price change applied" });
  });

  it("holds every agent on emergency stop, also one connecting later, and resumes them", async () => {
    const a = await newAgent();
    const b = await newAgent();
    const stop = await central.admin<{ stopped: boolean }>("POST", "/api/sync/emergency-stop", {
      reason: "till audit",
    });
    expect(stop.body.stopped).toBe(true);
    // Held, not paused: the till's own pause flag stays the operator's (a local resume cannot lift it).
    const held = (x: {
      agent: { engine: { current: { kind: string }; heldBy(): { reason: string | null } | null } };
    }) => x.agent.engine.current.kind === "backing-off" && x.agent.engine.heldBy()?.reason === "till audit";
    await waitFor(() => held(a) && held(b), { what: "both held by central" });
    const late = await newAgent();
    await waitFor(() => held(late), { what: "late agent held" });
    await waitFor(
      async () => {
        const rows = await terminals();
        return [a, b, late].every((x) => rows.find((r) => r.id === x.terminalId)?.agentStatus === "backing-off");
      },
      { what: "central sees them holding (heartbeats)" },
    );
    expect((await terminals()).find((r) => r.id === a.terminalId)!.health).toBe("red");

    const resumed = await central.admin<{ stopped: boolean }>("POST", "/api/sync/resume");
    expect(resumed.body.stopped).toBe(false);
    await waitFor(() => [a, b, late].every((x) => x.agent.engine.current.kind === "idle"), { what: "all resumed" });
    await waitFor(
      async () =>
        (await terminals())
          .filter((r) => [a, b, late].some((x) => x.terminalId === r.id))
          .every((r) => r.agentStatus === "idle" && r.health === "green"),
      {
        what: "central sees them idle and green",
      },
    );
  });

  it("keeps an operator's local pause when central resumes", async () => {
    const { agent, link } = await newAgent();
    agent.engine.pause();
    const acks: string[] = [];
    link.on("acked", (a) => acks.push(a.timestamp ?? ""));
    await central.admin("POST", "/api/sync/emergency-stop", {});
    await central.admin("POST", "/api/sync/resume");
    // The trigger travels after the resume on the same socket: once it is acked, the resume was seen.
    await central.admin("POST", "/api/sync/all", { terminalId: agent.config.TERMINAL_ID });
    await waitFor(() => acks.length > 0, { what: "trigger acked" });
    expect(agent.engine.current.kind).toBe("paused");
    agent.engine.resume();
  });
});
