import {
  DEFAULT_SYNC_POLICY,
  parentFirstOrder,
  pushRequestSchema,
  resolvePolicy,
  rowSchemas,
  SYNC_TABLES,
  describeZodError,
  ledgerTables,
  validatePolicy,
  centralFieldsOf,
  type SyncPolicy,
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

describe("policy rules", () => {
  it("declares the stock ledger once: adjustments move inventory_items.quantity by store and product", () => {
    expect(ledgerTables(DEFAULT_SYNC_POLICY).map((p) => [p.table, p.ledger])).toEqual([
      [
        "inventory_adjustments",
        {
          counterTable: "inventory_items",
          counterColumn: "quantity",
          deltaColumn: "delta",
          key: { store_id: "store_id", product_id: "product_id" },
          directEdit: { reason: "COUNT" },
        },
      ],
    ]);
    expect(() => validatePolicy(DEFAULT_SYNC_POLICY)).not.toThrow();
  });

  it("refuses rules that name what does not exist", () => {
    const broken = (patch: (p: Record<string, unknown>) => void): SyncPolicy => {
      const copy = structuredClone(DEFAULT_SYNC_POLICY) as unknown as Record<string, Record<string, unknown>>;
      patch(copy);
      return copy as unknown as SyncPolicy;
    };
    const ledger = (p: Record<string, unknown>) =>
      (p.inventory_adjustments as { ledger: Record<string, unknown> }).ledger;
    expect(() => validatePolicy(broken((p) => (ledger(p).deltaColumn = "amount")))).toThrow(/no delta column amount/);
    expect(() => validatePolicy(broken((p) => (ledger(p).counterColumn = "qty")))).toThrow(/no counter column qty/);
    expect(() => validatePolicy(broken((p) => (ledger(p).key = { store_id: "store_id", sku: "sku" })))).toThrow(
      /ledger key sku is not a column of inventory_adjustments/,
    );
    expect(() =>
      validatePolicy(broken((p) => ((p.inventory_adjustments as { appendOnly: boolean }).appendOnly = false))),
    ).toThrow(/not append-only/);
    expect(() =>
      validatePolicy(broken((p) => ((p.customers as { mergeFields: string[] }).mergeFields = ["points"]))),
    ).toThrow(/merges points/);
    expect(() => validatePolicy(broken((p) => (ledger(p).directEdit = { reason: "THEFT" })))).toThrow(
      /inventory_adjustments.reason has no value THEFT/,
    );
    expect(() => validatePolicy(broken((p) => (ledger(p).directEdit = { why: "COUNT" })))).toThrow(
      /direct-edit column why is not a column/,
    );
    const products = (p: Record<string, unknown>) => p.products as { centralFields: string[] };
    expect(() => validatePolicy(broken((p) => (products(p).centralFields = ["cost_cents"])))).toThrow(
      /central field cost_cents is not a column/,
    );
    expect(() => validatePolicy(broken((p) => (products(p).centralFields = ["version"])))).toThrow(
      /version cannot be a central field/,
    );
    expect(() =>
      validatePolicy(broken((p) => ((p.brands as { centralFields: string[] }).centralFields = ["name"]))),
    ).toThrow(/brands is central's whole/);
  });

  it("declares field ownership once: central prices, taxes, retires and files products (SPEC §2)", () => {
    expect(centralFieldsOf(DEFAULT_SYNC_POLICY.products)).toEqual([
      "price_cents",
      "tax_rate_bp",
      "active",
      "category_id",
      "brand_id",
    ]);
    expect(centralFieldsOf(DEFAULT_SYNC_POLICY.brands)).toEqual(["name"]);
    expect(centralFieldsOf(DEFAULT_SYNC_POLICY.customers)).toEqual([]);
  });

  it("fills an order's created_in_mode from the change, and knows which central tables keep updated_at", () => {
    expect(DEFAULT_SYNC_POLICY.sale_orders.columns.find((c) => c.name === "created_in_mode")?.fromChange).toBe(
      "createdInMode",
    );
    expect(SYNC_TABLES.filter((t) => DEFAULT_SYNC_POLICY[t].centralUpdatedAt)).toEqual([
      "categories",
      "brands",
      "products",
      "customers",
      "inventory_items",
    ]);
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
