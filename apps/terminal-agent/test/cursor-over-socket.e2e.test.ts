import { randomUUID } from "node:crypto";
import { useTestCentral, type TestCentral } from "@tillsync/central/testing";
import { waitFor } from "@tillsync/testkit";
import { startSocketLink, type SocketLink } from "../src";
import { HttpCentralTransport } from "../src/transport/http-transport";
import { createTestAgent, type TestAgent } from "../testing";

/**
 * The pulled cursor acknowledged over the socket (`sync:cursor`) when central's register
 * answer offers it, so a DATA_CHANGED round costs each till one HTTP request (the pull) instead
 * of two; over HTTP, as before, when central does not offer it, and when the socket is gone.
 * Central's lag view is right either way.
 */
interface LagRow {
  id: string;
  lag: number;
}

function suite(label: string, cursorOverSocket: boolean) {
  const { central } = useTestCentral(label, {}, { hub: { cursorOverSocket, pullOverSocket: cursorOverSocket } });
  const agents: TestAgent[] = [];
  const links: SocketLink[] = [];
  /** HTTP acknowledges made so far (every agent of the suite: they run one at a time). */
  let spy: jest.SpiedFunction<HttpCentralTransport["acknowledge"]>;
  let pullSpy: jest.SpiedFunction<HttpCentralTransport["pull"]>;
  const httpAcks = () => spy.mock.calls.length;
  const httpPulls = () => pullSpy.mock.calls.length;
  beforeAll(() => {
    spy = jest.spyOn(HttpCentralTransport.prototype, "acknowledge");
    pullSpy = jest.spyOn(HttpCentralTransport.prototype, "pull");
  });
  afterAll(async () => {
    for (const l of links) await l.stop();
    for (const a of agents) await a.destroy();
    spy.mockRestore();
    pullSpy.mockRestore();
  });

  async function linked(c: TestCentral): Promise<{ agent: TestAgent; link: SocketLink; terminalId: string }> {
    const t = await c.provisionTerminal();
    const agent = createTestAgent(c.url, t);
    agents.push(agent);
    expect((await agent.engine.runCycle()).error).toBeUndefined();
    const link = startSocketLink(agent, agent.config);
    links.push(link);
    await waitFor(() => link.connected, { what: "link connected" });
    return { agent, link, terminalId: t.terminalId };
  }
  const lagOf = async (c: TestCentral, id: string) =>
    (await c.admin<{ terminals: LagRow[] }>("GET", "/api/terminals")).body.terminals.find((t) => t.id === id)!.lag;
  const priceIn = (agent: TestAgent, id: string) =>
    (agent.db.prepare("SELECT price_cents FROM products WHERE id = ?").get(id) as { price_cents: number } | undefined)
      ?.price_cents;
  const priceChange = async (c: TestCentral, id: string, cents: number) =>
    c.admin("POST", "/api/products", { id, sku: `SOCK-${id.slice(0, 8)}`, name: "Sock", priceCents: cents });

  return { central, linked, lagOf, priceIn, priceChange, httpAcks, httpPulls };
}

describe("a central that offers sync:cursor and sync:pull", () => {
  const s = suite("cursor_socket", true);

  it("takes a DATA_CHANGED round's pull and cursor over the socket: no HTTP request, lag 0", async () => {
    const { agent, link, terminalId } = await s.linked(s.central);
    await waitFor(() => link.cursorOverSocketOn && link.pullOverSocketOn, { what: "register answered" });
    const product = randomUUID();
    const [before, pullsBefore] = [s.httpAcks(), s.httpPulls()];
    const acked: string[] = [];
    link.on("acked", (a) => acked.push(a.type));
    await s.priceChange(s.central, product, 120);
    await waitFor(() => s.priceIn(agent, product) === 120 && acked.length > 0, { what: "price applied and acked" });
    expect(s.httpAcks()).toBe(before);
    expect(s.httpPulls()).toBe(pullsBefore);
    expect(await s.lagOf(s.central, terminalId)).toBe(0);
  });

  it("stops a cycle on the hold central answers over the socket, as on the HTTP pull's 423", async () => {
    const { agent, link, terminalId } = await s.linked(s.central);
    await waitFor(() => link.pullOverSocketOn, { what: "register answered with pull" });
    const pullsBefore = s.httpPulls();
    await s.central.admin("POST", `/api/terminals/${terminalId}/pause`, { reason: "till swap" });
    const r = await agent.engine.runCycle();
    expect(r.error).toMatch(/till swap|paused|stopped/i);
    expect(s.httpPulls()).toBe(pullsBefore);
    await s.central.admin("POST", `/api/terminals/${terminalId}/resume`, {});
  });

  it("pulls and acknowledges over HTTP once the socket is gone", async () => {
    const { agent, link, terminalId } = await s.linked(s.central);
    await waitFor(() => link.cursorOverSocketOn, { what: "register answered with cursorAck" });
    await link.stop();
    expect(link.cursorOverSocketOn).toBe(false);
    const product = randomUUID();
    await s.priceChange(s.central, product, 130);
    const [before, pullsBefore] = [s.httpAcks(), s.httpPulls()];
    expect((await agent.engine.runCycle()).error).toBeUndefined();
    expect(s.priceIn(agent, product)).toBe(130);
    expect(s.httpAcks()).toBe(before + 1);
    expect(s.httpPulls()).toBeGreaterThan(pullsBefore);
    expect(await s.lagOf(s.central, terminalId)).toBe(0);
  });
});

describe("a central that does not offer sync:cursor nor sync:pull (older, or turned off)", () => {
  const s = suite("cursor_http", false);

  it("gets the pull and the cursor over HTTP, and its lag view is right", async () => {
    const { agent, link, terminalId } = await s.linked(s.central);
    const product = randomUUID();
    const [before, pullsBefore] = [s.httpAcks(), s.httpPulls()];
    const acked: string[] = [];
    link.on("acked", (a) => acked.push(a.type));
    await s.priceChange(s.central, product, 140);
    await waitFor(() => s.priceIn(agent, product) === 140 && acked.length > 0, { what: "price applied and acked" });
    expect(link.cursorOverSocketOn).toBe(false);
    expect(link.pullOverSocketOn).toBe(false);
    expect(s.httpAcks()).toBeGreaterThan(before);
    expect(s.httpPulls()).toBeGreaterThan(pullsBefore);
    expect(await s.lagOf(s.central, terminalId)).toBe(0);
  });
});
