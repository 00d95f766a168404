import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import { HttpCentralTransport } from "../src/transport/http-transport";
import { createTestAgent, type TestAgent } from "../testing";

/**
 * The acknowledge names the feed epoch its pages came from, and central records it only as a
 * position of its feed as it stands (store/terminal-acks.ts): a feed whose epoch changed between
 * the pull and its acknowledge (central restored or re-initialised in that moment) answers 409
 * FEED_RESET, and the agent recovers at once instead of leaving central believing it caught up
 * with a feed it no longer holds.
 */
const { central, pg } = useTestCentral("ack_epoch");

describe("acknowledge with the feed's epoch", () => {
  let agent: TestAgent;
  const put = () =>
    central.admin("POST", "/api/products", { id: randomUUID(), sku: `AE-${randomUUID()}`, name: "e", priceCents: 1 });

  beforeAll(async () => {
    agent = createTestAgent(central.url, await central.provisionTerminal());
    await put();
    expect((await agent.engine.runCycle()).error).toBeUndefined();
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await agent.destroy();
  });

  const acked = async () =>
    String(
      (await pg.query(`SELECT acked_cursor FROM terminals WHERE id = $1`, [agent.config.TERMINAL_ID])).rows[0]
        .acked_cursor,
    );

  it("sends the pulled page's epoch, and a feed that changed epoch before the acknowledge refuses it: the agent recovers", async () => {
    await put();
    const acks = jest.spyOn(HttpCentralTransport.prototype, "acknowledge");
    const pull = HttpCentralTransport.prototype.pull;
    let rotated = false;
    jest.spyOn(HttpCentralTransport.prototype, "pull").mockImplementation(async function (
      this: HttpCentralTransport,
      ...a
    ) {
      const page = await pull.apply(this, a);
      if (!rotated) {
        // Central's feed becomes another one after this page was served, before its acknowledge.
        rotated = true;
        await pg.query(`UPDATE feed_identity SET epoch = gen_random_uuid()`);
      }
      return page;
    });
    const before = await acked();
    const report = await agent.engine.runCycle();
    expect(report.error).toBeUndefined();
    // The first acknowledge carried the epoch of the page it applied, and central refused it.
    const [cursor, epoch] = acks.mock.calls[0]!;
    expect(epoch).toMatch(/^[0-9a-f-]{36}$/);
    expect(BigInt(cursor)).toBeGreaterThan(BigInt(before));
    expect(report.recovery).toBeDefined();
    // What central recorded afterwards is the recovery's acknowledge, of the feed's new epoch.
    const current = (await pg.query(`SELECT epoch FROM feed_identity`)).rows[0].epoch as string;
    expect(acks.mock.calls.at(-1)![1]).toBe(current);
  });
});
