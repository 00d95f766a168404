import { randomUUID } from "node:crypto";
import { connectTestSocket, waitFor, type TestSocket } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

// A short ack timeout and backoff, so a missing ack shows as the queue's retry quickly.
const { central } = useTestCentral(
  "direct",
  {},
  { hub: { ackTimeoutMs: 300, deliveryBackoffMs: 100, restartTriggerDelayMs: 0 } },
);

/**
 * DATA_CHANGED to a terminal connected to this instance goes straight to its socket, with its
 * pending record and claim but without a BullMQ job (a job per terminal per price change is
 * what saturated central at a thousand tills); the queue takes over only when the ack does not
 * come, with the same retries as any trigger.
 */
describe("direct DATA_CHANGED delivery", () => {
  const sockets: TestSocket[] = [];
  const jobsAdded: string[] = [];

  beforeAll(async () => {
    await waitFor(async () => (await central.running.metrics.jobRunCount("server-restart")) === 1, {
      what: "boot restart round",
    });
    const [triggerQueue] = central.running.hub.boardQueues();
    triggerQueue!.on("waiting", (job) => jobsAdded.push(String((job as { id?: string }).id)));
  });

  afterAll(() => {
    for (const s of sockets) s.close();
  });

  const open = async (autoAck: boolean) => {
    const t = await central.provisionTerminal();
    const s = connectTestSocket(central.url, t, { autoAck });
    sockets.push(s);
    await s.ready;
    return { t, s };
  };
  const drained = async (terminalId: string) =>
    (await central.running.redis.exists(`hub:trigger:pending:${terminalId}`, `hub:trigger:owner:${terminalId}`)) === 0;
  const priceChange = async () => {
    const id = randomUUID();
    const product = { id, sku: `DIR-${id.slice(0, 8)}`, name: "Direct", priceCents: 100 };
    expect((await central.admin("POST", "/api/products", product)).status).toBeLessThan(300);
  };
  const dataChanged = (s: TestSocket) => s.triggers.filter((x) => x.reason === "DATA_CHANGED");

  it("emits a price change to connected terminals and ends on their acks, with no queue job", async () => {
    const opened = await Promise.all([open(true), open(true), open(true)]);
    jobsAdded.length = 0;
    await priceChange();
    await waitFor(() => opened.every(({ s }) => dataChanged(s).length === 1), { what: "DATA_CHANGED on every socket" });
    for (const { t } of opened) await waitFor(() => drained(t.terminalId), { what: "acked: pending and claim gone" });
    expect(jobsAdded).toEqual([]);
    expect(opened.map(({ s }) => dataChanged(s).length)).toEqual([1, 1, 1]);
  });

  it("hands an unacked trigger to the queue, which sends it again until it is acked", async () => {
    const { t, s } = await open(false);
    jobsAdded.length = 0;
    await priceChange();
    await waitFor(() => dataChanged(s).length >= 2, { what: "sent again by the queue after no ack" });
    expect(jobsAdded.length).toBeGreaterThan(0);
    expect(new Set(dataChanged(s).map((x) => x.timestamp)).size).toBe(1); // the same trigger, again
    s.ack(dataChanged(s)[0]!);
    await waitFor(() => drained(t.terminalId), { what: "acked and drained" });
  });

  it("merges a change that arrives while a direct trigger waits for its ack, and sends it after that ack", async () => {
    const { t, s } = await open(false);
    await priceChange();
    await waitFor(() => dataChanged(s).length === 1, { what: "first DATA_CHANGED" });
    // Whether the queue has re-sent the first one meanwhile (no ack within 300 ms) or not, the
    // newer change merges into the pending trigger and follows the first one's ack.
    const first = dataChanged(s)[0]!;
    await priceChange();
    await waitFor(
      async () =>
        JSON.parse((await central.running.redis.get(`hub:trigger:pending:${t.terminalId}`)) ?? "{}").timestamp >
        first.timestamp,
      { what: "the second change merged into the pending trigger" },
    );
    s.ack(first);
    await waitFor(() => dataChanged(s).some((x) => x.timestamp > first.timestamp), { what: "the newer trigger sent" });
    s.ack(dataChanged(s).find((x) => x.timestamp > first.timestamp)!);
    await waitFor(() => drained(t.terminalId), { what: "drained" });
  });

  it("puts a round's triggers in one pipeline: a terminal whose put fails is left out, the others are sent theirs", async () => {
    const [broken, fine] = await Promise.all([open(true), open(true)]);
    // A pending record the merge script cannot decode: its put fails in Redis, that one alone.
    await central.running.redis.set(`hub:trigger:pending:${broken.t.terminalId}`, "not json");
    try {
      const before = dataChanged(broken.s).length;
      await priceChange();
      await waitFor(() => dataChanged(fine.s).length === 1, { what: "DATA_CHANGED to the terminal whose put went" });
      await waitFor(() => drained(fine.t.terminalId), { what: "its ack drained it" });
      expect(dataChanged(broken.s).length).toBe(before);
    } finally {
      await central.running.redis.del(`hub:trigger:pending:${broken.t.terminalId}`);
    }
  });
});
