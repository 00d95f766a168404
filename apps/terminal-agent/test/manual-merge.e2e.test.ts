import { randomUUID } from "node:crypto";
import { useTestCentral } from "@tillsync/central/testing";
import { createTestAgent } from "../testing";

const { central, pg } = useTestCentral("manual", { SYNC_POLICY_OVERRIDES: { products: { strategy: "MANUAL_MERGE" } } });

/** MANUAL_MERGE end to end: a held conflict, its resolution, and every terminal converging on it. */
describe("MANUAL_MERGE: held until resolved through the API, then seen by every terminal", () => {
  it("holds the conflict as PENDING, resolves it, and every terminal converges on the resolution", async () => {
    const a = await central.provisionTerminal({ name: "A" });
    const b = await central.provisionTerminal({ name: "B", storeId: a.storeId });
    const productId = randomUUID();
    await central.admin("POST", "/api/products", { id: productId, sku: "MM-1", name: "Tea", priceCents: 200 });
    const agentA = createTestAgent(central.url, a);
    const agentB = createTestAgent(central.url, b);
    try {
      await agentA.engine.runCycle();
      await agentB.engine.runCycle();
      // Central reprices while till A, still on version 1, reprices differently.
      await pg.query(`UPDATE products SET price_cents = 250 WHERE id = $1`, [productId]);
      agentA.till().prepare(`UPDATE products SET price_cents = 180 WHERE id = ?`).run(productId);
      const r = await agentA.engine.runCycle();
      expect(r.conflicts).toBe(1);

      const pending = await central.admin<{
        conflicts: Array<{
          id: string;
          status: string;
          terminalData: { price_cents: number };
          centralData: { price_cents: number };
        }>;
      }>("GET", "/api/conflicts?status=PENDING");
      expect(pending.body.conflicts).toHaveLength(1);
      const c = pending.body.conflicts[0]!;
      expect([c.terminalData.price_cents, c.centralData.price_cents]).toEqual([180, 250]);
      expect((await pg.query(`SELECT price_cents FROM products WHERE id = $1`, [productId])).rows[0].price_cents).toBe(
        250,
      );

      const bad = await central.admin("POST", "/api/sync/resolve", { conflictId: c.id, resolution: "CUSTOM" });
      expect(bad.status).toBe(400);
      const res = await central.admin<{ conflict: { status: string } }>("POST", "/api/sync/resolve", {
        conflictId: c.id,
        resolution: "CUSTOM",
        resolvedData: { sku: "MM-1", name: "Tea", price_cents: 215 },
      });
      expect(res.status).toBe(200);
      expect(res.body.conflict.status).toBe("RESOLVED");
      expect(
        (await central.admin("POST", "/api/sync/resolve", { conflictId: c.id, resolution: "KEEP_CENTRAL" })).status,
      ).toBe(409);

      await agentA.engine.runCycle();
      await agentB.engine.runCycle();
      const price = (t: typeof agentA) =>
        (t.till().prepare(`SELECT price_cents FROM products WHERE id = ?`).get(productId) as { price_cents: number })
          .price_cents;
      expect([price(agentA), price(agentB)]).toEqual([215, 215]);
      expect((await pg.query(`SELECT price_cents FROM products WHERE id = $1`, [productId])).rows[0].price_cents).toBe(
        215,
      );
    } finally {
      await agentA.destroy();
      await agentB.destroy();
    }
  });
});
