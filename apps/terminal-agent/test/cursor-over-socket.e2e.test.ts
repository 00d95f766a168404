import { randomUUID } from "node:crypto";
import { useTestCentral, type TestCentral } from "@tillsync/central/testing";
import { waitFor } from "@tillsync/testkit";
import { startSocketLink, type SocketLink } from "../src";
import { SocketCursor } from "../src/transport/socket-cursor";
import { HttpCentralTransport } from "../src/transport/http-transport";
import { createTestAgent, type TestAgent } from "../testing";

/**
 * The pulled cursor of a triggered cycle carried on the trigger's `sync:ack` when central's
 * register answer offers it (`cursorOnAck`), so a DATA_CHANGED round costs each till no HTTP
 * request and no `sync:cursor`; acknowledged over the socket (`sync:cursor`) when central offers
 * only that, or when the ack's cursor was not recorded for central's own failure; over HTTP, as
 * before, when central offers neither, and when the socket is gone. Central's lag view is right
 * every way.
 */
interface LagRow {
  id: string;
  lag: number;
}

/** The link's `sync:cursor` (transport/socket-cursor.ts). */
type CursorSender = Pick<SocketCursor, "send">;

function suite(label: string, cursorOverSocket: boolean, cursorOnAck = cursorOverSocket) {
  const { central } = useTestCentral(
    label,
    {},
    { hub: { cursorOverSocket, pullOverSocket: cursorOverSocket, cursorOnAck } },
  );
  const agents: TestAgent[] = [];
  const links: SocketLink[] = [];
  /** HTTP acknowledges made so far (every agent of the suite: they run one at a time). */
  let spy: jest.SpiedFunction<HttpCentralTransport["acknowledge"]>;
  let pullSpy: jest.SpiedFunction<HttpCentralTransport["pull"]>;
  let cursorSpy: jest.SpiedFunction<CursorSender["send"]>;
  const httpAcks = () => spy.mock.calls.length;
  const httpPulls = () => pullSpy.mock.calls.length;
  const socketCursors = () => cursorSpy.mock.calls.length;
  beforeAll(() => {
    spy = jest.spyOn(HttpCentralTransport.prototype, "acknowledge");
    pullSpy = jest.spyOn(HttpCentralTransport.prototype, "pull");
    cursorSpy = jest.spyOn(SocketCursor.prototype, "send");
  });
  afterAll(async () => {
    for (const l of links) await l.stop();
    for (const a of agents) await a.destroy();
    spy.mockRestore();
    pullSpy.mockRestore();
    cursorSpy.mockRestore();
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

  /** A price change applied by the agent's triggered cycle, and that trigger acked. */
  async function round(agent: TestAgent, link: SocketLink, cents: number): Promise<void> {
    const product = randomUUID();
    const acked: string[] = [];
    link.on("acked", (a) => acked.push(a.type));
    await priceChange(central, product, cents);
    await waitFor(() => priceIn(agent, product) === cents && acked.length > 0, { what: "price applied and acked" });
  }

  return { central, linked, lagOf, priceIn, priceChange, httpAcks, httpPulls, socketCursors, round };
}

describe("a central that offers sync:cursor, sync:pull and the cursor on sync:ack", () => {
  const s = suite("cursor_socket", true);

  it("takes a DATA_CHANGED round's cursor on its sync:ack: no HTTP request, no sync:cursor, lag 0", async () => {
    const { agent, link, terminalId } = await s.linked(s.central);
    await waitFor(() => link.cursorOnAckOn && link.pullOverSocketOn, { what: "register answered" });
    const [before, pullsBefore, cursorsBefore] = [s.httpAcks(), s.httpPulls(), s.socketCursors()];
    await s.round(agent, link, 120);
    // Recorded once central has the ack: after the cycle, so the lag is waited for.
    await waitFor(async () => (await s.lagOf(s.central, terminalId)) === 0, { what: "lag 0" });
    expect(s.httpAcks()).toBe(before);
    expect(s.httpPulls()).toBe(pullsBefore);
    expect(s.socketCursors()).toBe(cursorsBefore);
  });

  it("sends the cursor as sync:cursor when central could not record it on the ack (its own failure)", async () => {
    const { agent, link, terminalId } = await s.linked(s.central);
    await waitFor(() => link.cursorOnAckOn, { what: "register answered" });
    const terminals = s.central.running.store.terminals;
    const record = terminals.acknowledge.bind(terminals);
    // This terminal's write fails once (other suites' tills share the round, and record as usual).
    let failures = 0;
    const failed = jest.spyOn(terminals, "acknowledge").mockImplementation((id, cursor, epoch) => {
      // The ack's write, then the sync:cursor's (the same store call) goes through.
      if (id !== terminalId || failures > 0) return record(id, cursor, epoch);
      failures++;
      return Promise.reject(new Error("PostgreSQL went away"));
    });
    try {
      const [before, cursorsBefore] = [s.httpAcks(), s.socketCursors()];
      await s.round(agent, link, 125);
      await waitFor(() => s.socketCursors() > cursorsBefore, { what: "the cursor sent as sync:cursor" });
      await waitFor(async () => (await s.lagOf(s.central, terminalId)) === 0, { what: "lag 0" });
      expect(failures).toBe(1);
      expect(s.httpAcks()).toBe(before);
    } finally {
      failed.mockRestore();
    }
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

describe("a central that offers sync:cursor but not the cursor on sync:ack (older, or turned off)", () => {
  const s = suite("cursor_no_ack", true, false);

  it("gets a triggered cycle's cursor as sync:cursor, and its lag view is right", async () => {
    const { agent, link, terminalId } = await s.linked(s.central);
    await waitFor(() => link.cursorOverSocketOn, { what: "register answered" });
    expect(link.cursorOnAckOn).toBe(false);
    const [before, cursorsBefore] = [s.httpAcks(), s.socketCursors()];
    await s.round(agent, link, 135);
    expect(s.socketCursors()).toBe(cursorsBefore + 1);
    expect(s.httpAcks()).toBe(before);
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
