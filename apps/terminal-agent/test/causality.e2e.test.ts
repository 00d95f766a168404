import { randomUUID } from "node:crypto";
import { createAgent, HttpCentralTransport } from "../src";
import type { PushChange } from "@tillsync/shared";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent } from "../testing";

const { central, pg } = useTestCentral("g5");

/** G5: a child never reaches central before its parent, whatever the batch size and priorities. */
describe("causality (G5)", () => {
  it("with batch size 1 and CRITICAL payments under a HIGH pending order, no child is rejected or sent first", async () => {
    const creds = await central.provisionTerminal();
    const probe = createTestAgent(central.url, creds, { SYNC_BATCH_SIZE: 1 });
    await probe.close();
    const sent: PushChange[][] = [];
    const http = new HttpCentralTransport({
      baseUrl: central.url,
      key: creds.key,
      terminalId: creds.terminalId,
      timeoutMs: 10_000,
    });
    const agent = createAgent(
      { ...probe.config },
      {
        push: async (changes) => {
          sent.push(changes);
          return http.push(changes);
        },
        pull: (s, l, e) => http.pull(s, l, e),
        acknowledge: (c) => http.acknowledge(c),
        heartbeat: (b) => http.heartbeat(b),
      },
    );
    try {
      const till = probe.till();
      const orders = [randomUUID(), randomUUID(), randomUUID()];
      for (const order of orders) {
        till.transaction(() => {
          // The order stays PENDING (priority 9); its payment is CRITICAL (10) and sorts first.
          till
            .prepare(`INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'PENDING')`)
            .run(order, creds.storeId);
          till
            .prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CARD', 100)`)
            .run(randomUUID(), order);
          till
            .prepare(
              `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, 1, 100, 100)`,
            )
            .run(randomUUID(), order, randomUUID());
        })();
      }
      const r = await agent.engine.runCycle();
      expect(r.error).toBeUndefined();

      const arrived = new Set<string>();
      for (const batch of sent) {
        expect(batch).toHaveLength(1);
        for (const c of batch) {
          const parent =
            c.entityType === "sale_order_lines" || c.entityType === "payments" ? String(c.data!.order_id) : undefined;
          if (parent) expect(arrived.has(parent)).toBe(true);
          arrived.add(c.entityId);
        }
      }
      const outbox = till.prepare(`SELECT status, attempts, error FROM outbox`).all();
      expect(outbox).toHaveLength(9);
      expect(
        outbox.every((o) => JSON.stringify(o) === JSON.stringify({ status: "SYNCED", attempts: 0, error: null })),
      ).toBe(true);
      expect((await pg.query(`SELECT count(*)::int AS n FROM payments`)).rows[0].n).toBe(3);
    } finally {
      await agent.close();
      await probe.destroy();
    }
  });
});
