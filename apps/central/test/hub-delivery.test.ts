import { useTestCentral } from "../testing";
import { connectTestSocket, waitFor, type TestSocket } from "@tillsync/testkit";

// A short ack timeout so a missing ack shows as a retry quickly; boot's restart round first.
const { central } = useTestCentral("delivery", {}, { hub: { ackTimeoutMs: 300, restartTriggerDelayMs: 0 } });

/** Trigger delivery: retried with backoff until acked; one pending trigger per terminal. */
describe("hub trigger delivery", () => {
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    await waitFor(async () => (await central.running.metrics.jobRunCount("server-restart")) === 1, {
      what: "boot restart round",
    });
  });

  afterAll(() => {
    for (const s of sockets) s.close();
  });

  const drained = async (terminalId: string) => {
    const pending = await central.running.redis.exists(`hub:trigger:pending:${terminalId}`);
    const q = (await central.running.hub.queueCounts()).triggers;
    return pending === 0 && Object.values(q).every((n) => n === 0);
  };

  it("re-sends an unacked trigger with backoff, and stops once it is acked", async () => {
    const t = await central.provisionTerminal();
    const s = connectTestSocket(central.url, t);
    sockets.push(s);
    await s.ready;
    await central.admin("POST", "/api/sync/all", { terminalId: t.terminalId });
    await waitFor(() => s.triggers.length >= 2, { what: "trigger sent again after no ack" });
    expect(new Set(s.triggers.map((x) => x.timestamp)).size).toBe(1); // the same trigger, again
    s.ack(s.triggers[0]!);
    await waitFor(() => drained(t.terminalId), { what: "acked and drained" });
    const sent = s.triggers.length;
    expect(await central.running.redis.exists(`hub:trigger:pending:${t.terminalId}`)).toBe(0);
    expect(s.triggers.length).toBe(sent);
  });

  it("merges a burst of triggers into one pending trigger: one more emit after the ack, not one per request", async () => {
    const t = await central.provisionTerminal();
    const s = connectTestSocket(central.url, t);
    sockets.push(s);
    await s.ready;
    await central.admin("POST", "/api/sync/all", { terminalId: t.terminalId });
    await waitFor(() => s.triggers.length >= 1, { what: "first trigger" });
    const first = s.triggers[0]!;
    await Promise.all(
      Array.from({ length: 5 }, () => central.admin("POST", "/api/sync/all", { terminalId: t.terminalId })),
    );
    // The agent acks the first after its cycle; the merged newer trigger follows, once.
    s.ack(first);
    await waitFor(() => s.triggers.some((x) => x.timestamp > first.timestamp), { what: "the merged trigger" });
    const merged = s.triggers.find((x) => x.timestamp > first.timestamp)!;
    s.ack(merged);
    await waitFor(() => drained(t.terminalId), { what: "acked and drained" });
    // At most the first (perhaps re-sent before its ack) and the merged one: never six.
    expect(new Set(s.triggers.map((x) => x.timestamp)).size).toBe(2);
  });
});
