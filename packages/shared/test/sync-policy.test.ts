import {
  DEFAULT_SYNC_POLICY,
  parentFirstOrder,
  pushRequestSchema,
  resolvePolicy,
  rowSchemas,
  SYNC_TABLES,
  describeZodError,
} from "../src";

describe("sync policy", () => {
  it("lists every parent before its children", () => {
    const order = parentFirstOrder(DEFAULT_SYNC_POLICY);
    for (const t of SYNC_TABLES) {
      const parent = DEFAULT_SYNC_POLICY[t].parent;
      if (parent) expect(order.indexOf(parent.table)).toBeLessThan(order.indexOf(t));
    }
  });

  it("matches SPEC §2 for directions, priorities and strategies", () => {
    const p = DEFAULT_SYNC_POLICY;
    expect([p.sale_orders.direction, p.sale_orders.strategy]).toEqual(["TERMINAL_TO_CENTRAL", "TERMINAL_WINS"]);
    expect(p.sale_orders.priority).toEqual({
      kind: "byColumn",
      column: "status",
      values: { COMPLETED: 10 },
      otherwise: 9,
    });
    expect(p.payments.priority).toEqual({ kind: "fixed", priority: 10 });
    expect([p.inventory_adjustments.appendOnly, p.inventory_adjustments.priority]).toEqual([
      true,
      { kind: "fixed", priority: 8 },
    ]);
    expect([p.inventory_items.direction, p.inventory_items.scope, p.inventory_items.strategy]).toEqual([
      "CENTRAL_TO_TERMINAL",
      "STORE",
      "CENTRAL_WINS",
    ]);
    expect([p.customers.strategy, p.customers.mergeFields]).toEqual(["MERGE", ["loyalty_points", "total_spent_cents"]]);
    expect([p.products.direction, p.products.strategy, p.products.priority]).toEqual([
      "BOTH",
      "CENTRAL_WINS",
      { kind: "fixed", priority: 5 },
    ]);
    expect([p.categories.priority, p.brands.direction]).toEqual([
      { kind: "fixed", priority: 3 },
      "CENTRAL_TO_TERMINAL",
    ]);
  });

  it("lets an operator override a strategy without touching the rest", () => {
    const p = resolvePolicy({ products: { strategy: "MANUAL_MERGE" } });
    expect(p.products.strategy).toBe("MANUAL_MERGE");
    expect(p.products.columns).toBe(DEFAULT_SYNC_POLICY.products.columns);
    expect(p.customers).toEqual(DEFAULT_SYNC_POLICY.customers);
  });
});

describe("wire schemas", () => {
  it("accept a row from SQLite (0/1 booleans, extra local columns dropped)", () => {
    const r = rowSchemas.products.parse({
      id: "7f0c8b1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f",
      sku: "A",
      name: "a",
      price_cents: 5,
      active: 0,
      till_only: "x",
    });
    expect(r).toEqual({
      id: "7f0c8b1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f",
      sku: "A",
      name: "a",
      price_cents: 5,
      active: false,
    });
  });

  it("explain what is wrong, field by field", () => {
    const r = pushRequestSchema.safeParse({ terminalId: "nope", changes: [{ changeId: "x", entityType: "widgets" }] });
    expect(r.success).toBe(false);
    const msg = describeZodError(r.error!);
    expect(msg).toMatch(/terminalId: must be a UUID/);
    expect(msg).toMatch(/changes\.0\.entityType: entityType must be one of categories/);
  });
});
