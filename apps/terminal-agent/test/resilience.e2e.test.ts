import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent, type TestAgent } from "../testing";
import { ControllableProxy, waitFor } from "@tillsync/testkit";
import { readAgentStatus } from "../src/status/agent-status";
import { envOf, runCli } from "./support/agent-cli";

const { central, pg } = useTestCentral("resilience");

/** G6 and SPEC §5: the till never waits on sync; poison does not block; the breaker opens and heals. */
describe("agent resilience (G6)", () => {
  const agents: TestAgent[] = [];
  const proxies: ControllableProxy[] = [];

  afterAll(async () => {
    for (const a of agents) await a.destroy();
    for (const p of proxies) await p.close();
  });

  async function setup(
    overrides: Parameters<typeof createTestAgent>[2] = {},
    engine: Parameters<typeof createTestAgent>[3] = {},
  ) {
    const creds = await central.provisionTerminal();
    const proxy = new ControllableProxy(central.running.port);
    await proxy.listen();
    proxies.push(proxy);
    const agent = createTestAgent(proxy.url, creds, overrides, engine);
    agents.push(agent);
    return { creds, proxy, agent, till: agent.till() };
  }

  /** What the till software does for a sale: one transaction of plain SQL. */
  function sell(till: Database.Database, storeId: string, status = "COMPLETED", cents = 500): string {
    const id = randomUUID();
    till.transaction(() => {
      till
        .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, ?, ?)`)
        .run(id, storeId, status, cents);
      till.prepare(`INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CASH', ?)`).run(id, cents);
    })();
    return id;
  }

  const atCentral = async (orderId: string) =>
    (await pg.query(`SELECT 1 FROM sale_orders WHERE id = $1`, [orderId])).rowCount === 1;
  const outboxStatuses = (till: Database.Database) =>
    (till.prepare(`SELECT DISTINCT status FROM outbox ORDER BY status`).all() as Array<{ status: string }>).map(
      (r) => r.status,
    );

  it("a local write completes while central is down, and while a push is blocked in flight or answered 5 s late", async () => {
    const { creds, proxy, agent, till } = await setup();

    proxy.cut();
    const r = await agent.engine.runCycle();
    expect(r.error).toMatch(/cannot reach central/);
    const offline = sell(till, creds.storeId);
    expect(outboxStatuses(till)).toEqual(["PENDING"]);
    proxy.reconnect();

    // A push provably in flight and blocked: central has not even received it.
    proxy.hold();
    const blocked = agent.engine.runCycle();
    await waitFor(() => proxy.heldChunks > 0 && outboxStatuses(till).includes("SYNCING"), {
      what: "push held at the proxy",
    });
    const during = sell(till, creds.storeId);
    expect(proxy.heldChunks).toBeGreaterThan(0);
    expect(await atCentral(offline)).toBe(false);
    expect(till.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'SYNCING'`).get()).toEqual({ n: 2 });
    proxy.release();
    expect((await blocked).error).toBeUndefined();

    // Central answering 5 s late: the write still lands while the push waits for the answer.
    const beforeSlow = sell(till, creds.storeId);
    proxy.responseDelayMs = 5_000;
    const slow = agent.engine.runCycle();
    await waitFor(() => proxy.delayedChunks > 0, { what: "central's answer held back for 5 s" });
    const whileSlow = sell(till, creds.storeId);
    expect(till.prepare(`SELECT status FROM outbox WHERE entity_id = ?`).get(beforeSlow)).toEqual({
      status: "SYNCING",
    });
    expect(till.prepare(`SELECT status FROM outbox WHERE entity_id = ?`).get(whileSlow)).toEqual({ status: "PENDING" });
    proxy.responseDelayMs = 0; // the push's answer is already on its 5 s way; the rest need not crawl
    expect((await slow).error).toBeUndefined();
    await agent.engine.runCycle();
    for (const id of [offline, during, beforeSlow, whileSlow]) expect(await atCentral(id)).toBe(true);
    expect(outboxStatuses(till)).toEqual(["SYNCED"]);
  });

  it("a change central rejects goes FAILED after SYNC_RETRY_ATTEMPTS, the changes behind it still sync, retry-failed puts it back", async () => {
    const { creds, agent, till } = await setup({ SYNC_RETRY_ATTEMPTS: 3 });
    const other = await central.provisionTerminal();
    const poisoned = sell(till, other.storeId); // another store's sale: central must refuse it
    const good = sell(till, creds.storeId);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = await agent.engine.runCycle();
      expect(r.error).toBeUndefined();
      const row = till.prepare(`SELECT status, attempts, error FROM outbox WHERE entity_id = ?`).get(poisoned) as {
        status: string;
        attempts: number;
        error: string;
      };
      expect(row).toMatchObject({ status: attempt < 3 ? "PENDING" : "FAILED", attempts: attempt });
      expect(row.error).toMatch(/belongs to store/);
      // Let the rejection's backoff pass without waiting for the clock.
      till.prepare(`UPDATE outbox SET next_attempt_at = NULL WHERE status = 'PENDING'`).run();
    }
    expect(await atCentral(good)).toBe(true);
    expect(await atCentral(poisoned)).toBe(false);
    const behind = sell(till, creds.storeId);
    expect((await agent.engine.runCycle()).error).toBeUndefined();
    expect(await atCentral(behind)).toBe(true);
    expect(readAgentStatus(agent.db, 300_000).tables.sale_orders).toMatchObject({ failed: 1, synced: 2 });

    const cli = await runCli(["retry-failed"], envOf(agent.config, { local: true }));
    expect(cli).toMatchObject({ code: 0, stderr: "" });
    expect(cli.stdout).toMatch(/^2 failed change\(s\) back to pending/);
    expect(till.prepare(`SELECT status, attempts FROM outbox WHERE entity_id = ?`).get(poisoned)).toEqual({
      status: "PENDING",
      attempts: 0,
    });
  });

  it("opens the breaker with central down (status red), then recovers by itself and drains the outbox", async () => {
    const { creds, proxy, agent, till } = await setup(
      {},
      {
        machine: { breakerWindowMs: 0, breakerFirstCooldownMs: 1_000, breakerCooldownMs: 1_000, backoff: () => 10 },
      },
    );
    proxy.cut();
    agent.engine.start();
    const first = sell(till, creds.storeId, "PENDING"); // HIGH: goes with the failing cycles
    void agent.engine.runCycle();
    await waitFor(() => agent.engine.current.kind === "circuit-open", { what: "breaker open" });
    expect(agent.engine.current.failures).toBe(5);
    const orders = [first, sell(till, creds.storeId), sell(till, creds.storeId)];

    // `status` in its own process, without CENTRAL_* variables, while the breaker stays open
    // (probes keep failing while the proxy is cut).
    const status = await runCli(["status", "--json"], envOf(agent.config, { local: true }));
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as {
      health: string;
      circuit: string;
      consecutiveFailures: number;
      totals: { pending: number };
    };
    expect(s.health).toBe("red");
    expect(["open", "half-open"]).toContain(s.circuit);
    expect(s.consecutiveFailures).toBeGreaterThanOrEqual(5);
    expect(s.totals.pending).toBe(6);

    proxy.reconnect();
    await waitFor(
      async () => {
        for (const o of orders) if (!(await atCentral(o))) return false;
        return true;
      },
      { what: "outbox drained after recovery" },
    );
    await waitFor(() => agent.engine.current.kind === "idle" && outboxStatuses(till).join() === "SYNCED", {
      what: "idle with an empty outbox",
    });
    expect(readAgentStatus(agent.db, 300_000)).toMatchObject({
      circuit: "closed",
      health: "green",
      consecutiveFailures: 0,
    });
  });

  it("pushes a CRITICAL order at once, not at the 5-minute interval", async () => {
    const { creds, agent, till } = await setup({ SYNC_INTERVAL: 300 });
    agent.engine.start();
    const order = sell(till, creds.storeId, "COMPLETED");
    // waitFor gives up after 20 s: a push on the interval would take 300 s.
    await waitFor(() => atCentral(order), { what: "critical order at central" });
    // Housekeeping: the cycle is written down once it finishes.
    await waitFor(
      () =>
        till.prepare(`SELECT pushed FROM sync_history WHERE error IS NULL AND pushed >= 2`).get() as
          { pushed: number } | undefined,
      {
        what: "sync history row of the critical push",
      },
    );
  });
});
