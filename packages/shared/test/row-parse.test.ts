import { randomUUID } from "node:crypto";
import { DEFAULT_SYNC_POLICY, parseRow, rowSchemaFor, rowSchemaOf } from "../src/browser";

/**
 * parseRow (src/row-parse.ts) answers what the table's zod row schema answers, whichever path
 * took the row: a row the fast path takes comes out as zod's output, one it leaves goes to zod
 * and keeps zod's verdict and message (fast-parse.test.ts holds the fast path itself to zod).
 */
describe("parseRow", () => {
  const products = DEFAULT_SYNC_POLICY.products;
  const zod = rowSchemaOf(products);
  const row = { id: randomUUID(), sku: "P-1", name: "Milk", price_cents: 120, extra_local_column: 1 };

  it("answers a valid row as zod does: same values, same keys in the same order, unknown columns dropped", () => {
    const r = parseRow(products, row);
    expect(r.success).toBe(true);
    const z = zod.safeParse(row);
    expect(JSON.stringify(r.data)).toBe(JSON.stringify(z.data));
    expect(r.data).not.toHaveProperty("extra_local_column");
  });

  it.each([
    ["an upper-case id (the fast path declines it)", { ...row, id: randomUUID().toUpperCase() }],
    ["a price that is no integer", { ...row, price_cents: 1.5 }],
    ["no id", { sku: "P-2", name: "n", price_cents: 1 }],
    ["not an object", ["id"]],
  ])("leaves %s to zod, whose verdict and message stand", (_name, input) => {
    const r = parseRow(products, input);
    const z = zod.safeParse(input);
    expect(r.success).toBe(z.success);
    expect(r.error?.message).toBe(z.error?.message);
    expect(JSON.stringify(r.data)).toBe(JSON.stringify(z.data));
  });

  it("builds the schema once per table policy", () => {
    expect(rowSchemaFor(products)).toBe(rowSchemaFor(products));
    expect(rowSchemaFor({ ...products })).not.toBe(rowSchemaFor(products));
  });
});
