import { CentralUnreachableError, Priority } from "@tillsync/shared";
import { useTestCentral } from "@tillsync/central/testing";
import { runTicketWriter } from "./support/ticket-writer";
import { createWatchedAgent } from "./support/watched-agent";

const { central, pg } = useTestCentral("g1tickets");

/**
 * G1 under the till's real rhythm, randomised: a till thread sells multi-step tickets (order
 * PENDING, lines, payment, then COMPLETED a few ms later) while the agent runs cycles of every
 * band back to back, and some pushes fail before central sees them or after it applied them.
 * Every ticket must end at central as the till holds it. SEED replays a run.
 */
describe("multi-step tickets while the agent syncs (G1, randomised)", () => {
  const seed = Number(process.env.SEED ?? Date.now() % 2 ** 31);
  const TICKETS = Number(process.env.TICKETS ?? 400);

  it("ends every ticket at central COMPLETED with all its lines and its payment, the outbox all SYNCED", async () => {
    const creds = await central.provisionTerminal();
    let s = seed;
    const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let faults = true;
    // After a failed cycle the next one goes through, so the breaker never opens here.
    let mayFail = true;
    const agent = createWatchedAgent(
      central.url,
      creds,
      {},
      async (_changes, send) => {
        const roll = faults && mayFail ? rand() : 1;
        if (roll < 0.1) mayFail = false;
        if (roll < 0.05) throw new CentralUnreachableError("connection refused (test)");
        const results = await send();
        if (roll < 0.1) throw new CentralUnreachableError("connection reset after central answered (test)");
        return results;
      },
      { machine: { backoff: () => 0 } },
    );
    agent.engine.on("cycle", (r) => (mayFail = !r.error));
    try {
      let writing = true;
      const written = runTicketWriter({
        file: agent.till().name,
        storeId: creds.storeId,
        tickets: TICKETS,
        seed,
        maxPauseMs: 3,
      }).finally(() => (writing = false));
      const bands = [Priority.CRITICAL, Priority.HIGH, Priority.BACKGROUND];
      while (writing) {
        await agent.engine.runCycle(bands[Math.floor(rand() * bands.length)]);
        await new Promise((resolve) => setImmediate(resolve)); // let the writer's message in
      }
      const ledger = await written;
      faults = false;
      for (let i = 0; i < 3; i++) expect((await agent.engine.runCycle()).error).toBeUndefined();

      const orders = await pg.query(
        `SELECT o.id, o.status, o.completed_at IS NOT NULL AS completed,
                (SELECT count(*)::int FROM sale_order_lines l WHERE l.order_id = o.id) AS lines,
                (SELECT count(*)::int FROM payments p WHERE p.order_id = o.id) AS payments
           FROM sale_orders o WHERE o.terminal_id = $1`,
        [creds.terminalId],
      );
      const wrong = orders.rows.filter((o) => o.status !== "COMPLETED" || !o.completed);
      expect({ seed, wrong: wrong.map((o) => o.id) }).toEqual({ seed, wrong: [] });
      expect(orders.rows).toHaveLength(ledger.orders.length);
      expect(orders.rows.reduce((n, o) => n + o.lines, 0)).toBe(ledger.lines);
      expect(orders.rows.reduce((n, o) => n + o.payments, 0)).toBe(ledger.payments);
      const unsynced = agent.till().prepare(`SELECT count(*) AS n FROM outbox WHERE status != 'SYNCED'`).get();
      expect(unsynced).toEqual({ n: 0 });
    } finally {
      await agent.destroy();
    }
  }, 180_000);
});
