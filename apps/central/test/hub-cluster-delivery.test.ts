import { randomUUID } from "node:crypto";
import { waitFor } from "@tillsync/testkit";
import { useTestCentral } from "../testing";
import { useSecondInstance } from "./support/second-instance";

/**
 * Trigger delivery with two instances. The fallback poll and the ack timeout are a minute
 * here: a delivery ends within seconds only if the ack itself wakes the waiting job, on
 * whichever instance runs it (acks reach the others as an inter-server event). No retries
 * happen within a test, so every emit counted is a real duplicate.
 */
const { central: a } = useTestCentral(
  "cludeliv",
  {},
  { hub: { ackPollMs: 60_000, ackTimeoutMs: 60_000, restartTriggerDelayMs: 0 } },
);

describe("trigger delivery across two instances", () => {
  const b = useSecondInstance(a);

  const connect = async (url: string, t: { terminalId: string; key: string }) => {
    const s = b.connectTo(url, t, { autoAck: true });
    await s.ready;
    return s;
  };
  const drained = async (terminalId: string) =>
    (await a.running.redis.exists(`hub:trigger:pending:${terminalId}`, `hub:trigger:owner:${terminalId}`)) === 0;

  it("ends each delivery as soon as the terminal acks, whichever instance runs the job", async () => {
    // Sequential jobs alternate between the instances' workers, so some run on A while the ack
    // arrives on B: those finish in time only through the inter-server wake.
    for (let i = 0; i < 6; i++) {
      const t = await a.provisionTerminal();
      const s = await connect(b.url, t);
      expect((await a.admin("POST", "/api/sync/all", { terminalId: t.terminalId })).status).toBe(202);
      await waitFor(() => s.triggers.length === 1, { what: `trigger ${i} delivered`, timeoutMs: 5_000 });
      await waitFor(() => drained(t.terminalId), { what: `delivery ${i} ended by its ack`, timeoutMs: 5_000 });
      expect(s.triggers).toHaveLength(1);
    }
  });

  it("keeps a trigger for an offline terminal and delivers it once when it connects to the other instance", async () => {
    const t = await a.provisionTerminal();
    expect((await a.admin("POST", "/api/sync/all", { terminalId: t.terminalId })).status).toBe(202);
    await waitFor(async () => (await a.running.redis.exists(`hub:trigger:owner:${t.terminalId}`)) === 0, {
      what: "delivery deferred: nobody connected",
    });
    expect(await a.running.redis.exists(`hub:trigger:pending:${t.terminalId}`)).toBe(1);
    const s = await connect(b.url, t);
    await waitFor(() => s.triggers.find((x) => x.reason === "MANUAL"), { what: "pending trigger on connect" });
    await waitFor(() => drained(t.terminalId), { what: "acked" });
    expect(s.triggers).toHaveLength(1);
  });

  it("sends a price change to terminals on both instances, exactly once each", async () => {
    const terminals = await Promise.all(Array.from({ length: 6 }, () => a.provisionTerminal()));
    const socks = await Promise.all(terminals.map((t, i) => connect(i % 2 ? b.url : a.url, t)));
    const before = socks.map((s) => s.triggers.length);
    const id = randomUUID();
    const product = { id, sku: `FAN-${id.slice(0, 8)}`, name: "Fan", priceCents: 120 };
    expect((await a.admin("POST", "/api/products", product)).status).toBeLessThan(300);
    await waitFor(() => socks.every((s) => s.triggers.some((x) => x.reason === "DATA_CHANGED")), {
      what: "DATA_CHANGED on every socket of both instances",
    });
    for (const t of terminals) await waitFor(() => drained(t.terminalId), { what: "acked", timeoutMs: 5_000 });
    expect(socks.map((s, i) => s.triggers.length - before[i]!)).toEqual(socks.map(() => 1));
  });
});
