import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import type { RunningCentral } from "@tillsync/central";
import { DatabaseUnavailableError } from "@tillsync/shared";
import { startPgRelay, waitFor, type PgRelay } from "@tillsync/testkit";
import { databaseWaitMs } from "../src/sync/database-wait";
import { createTestAgent, type TestAgent } from "../testing";

/**
 * A till whose central is up while central's database is not (a PostgreSQL restart or
 * failover, G9): central answers 503 DATABASE_UNAVAILABLE with when to ask again, and the
 * till asks again then, without counting it as a failure. Its failure backoff here is a
 * minute and its breaker opens at the first failure: a till that took the 503 for a failure
 * would still be waiting when the test gives up.
 */
const { central: a, pg } = useTestCentral("agent_dbgone");

describe("the agent while central's database is gone", () => {
  let relay: PgRelay;
  let b: RunningCentral;
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    relay = await startPgRelay();
    b = await a.startInstance({ config: { DATABASE_URL: relay.via(a.databaseUrl) } });
  });
  afterAll(async () => {
    for (const agent of agents) await agent.destroy();
    relay.refuse = false;
    await b?.stop();
    await relay?.close();
  });

  it("waits as central says, never opens its breaker, and drains within seconds of the database's return", async () => {
    const creds = await a.provisionTerminal();
    const agent = createTestAgent(
      `http://127.0.0.1:${b.port}`,
      creds,
      {},
      { machine: { breakerThreshold: 1, breakerWindowMs: 0, backoff: () => 60_000 } },
    );
    agents.push(agent);
    expect((await agent.engine.runCycle()).error).toBeUndefined(); // key verified and cached by B

    relay.refuse = true;
    relay.cut();
    const order = randomUUID();
    agent
      .till()
      .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 900)`)
      .run(order, creds.storeId);
    agent.engine.start();
    await waitFor(() => agent.engine.current.kind === "backing-off", { what: "the first 503 heard" });
    const s = agent.engine.current as { kind: string; failures: number; retryAt: number };
    expect(s.failures).toBe(0);
    // Central said 2 s; the engine adds up to half of it as jitter.
    expect(s.retryAt - Date.now()).toBeLessThanOrEqual(3_000);
    // Asked again as told, still not counted: the breaker (threshold 1) stays closed.
    const asked = relay.attempts;
    await waitFor(() => relay.attempts > asked, { what: "asked again after the wait", timeoutMs: 10_000 });
    expect(agent.engine.current.kind).not.toBe("circuit-open");
    expect(agent.outbox.counts().sale_orders).toMatchObject({ pending: 1, synced: 0 });

    relay.refuse = false;
    const back = Date.now();
    await waitFor(async () => (await pg.query(`SELECT 1 FROM sale_orders WHERE id = $1`, [order])).rowCount === 1, {
      what: "the sale at central once the database answers",
      timeoutMs: 10_000,
    });
    expect(Date.now() - back).toBeLessThan(10_000);
  });

  it("keeps central's 'ask again in' within bounds: a lying central neither floods nor silences the till", () => {
    const wait = (s: unknown, r: number) =>
      databaseWaitMs(new DatabaseUnavailableError("gone", { retryAfterSeconds: s as number }), () => r);
    expect(wait(2, 0)).toBe(2_000);
    expect(wait(2, 1)).toBe(3_000);
    expect(wait(0, 0)).toBe(1_000);
    expect(wait(-5, 0)).toBe(1_000);
    expect(wait(86_400, 0)).toBe(30_000);
    expect(wait("soon", 0)).toBe(2_000);
    expect(wait(Number.NaN, 0)).toBe(2_000);
  });
});
