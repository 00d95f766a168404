import { randomUUID } from "node:crypto";
import { change, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

const { central, pg } = useTestCentral("fieldowner");

/**
 * Field ownership (issue 12 §1, G3/G8): on products, price, tax rate, active, category and
 * brand are central's. A terminal's change to them is not applied, the rest of its change is,
 * the conflict is logged with both sides, and the answer carries central's row and the fields
 * kept, for the terminal to take over.
 */
describe("central-owned fields of products", () => {
  let till: TerminalClient;
  let categoryId: string;
  let brandId: string;

  beforeAll(async () => {
    const t = await central.provisionTerminal();
    till = new TerminalClient(central.url, t.terminalId, t.key);
    categoryId = randomUUID();
    brandId = randomUUID();
    await pg.query(`INSERT INTO categories (id, name) VALUES ($1, 'Tea')`, [categoryId]);
    await pg.query(`INSERT INTO brands (id, name) VALUES ($1, 'Leafy')`, [brandId]);
  });

  const product = async (fields: Record<string, unknown> = {}) => {
    const id = randomUUID();
    const row = { sku: `FO-${id}`, name: "Green tea", price_cents: 400, tax_rate_bp: 700, active: true, ...fields };
    await pg.query(
      `INSERT INTO products (id, sku, name, price_cents, tax_rate_bp, active, category_id, brand_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, row.sku, row.name, row.price_cents, row.tax_rate_bp, row.active, categoryId, brandId],
    );
    return { id, row: { ...row, category_id: categoryId, brand_id: brandId } };
  };
  const centralRow = async (id: string) =>
    (
      await pg.query(
        `SELECT name, price_cents, tax_rate_bp, active, category_id, brand_id, version FROM products WHERE id = $1`,
        [id],
      )
    ).rows[0] as Record<string, unknown>;
  const update = (id: string, data: Record<string, unknown>, baseVersion = 1) =>
    change("products", data, { entityId: id, operation: "UPDATE", baseVersion, syncPriority: 5 });

  it("applies the name, keeps central's price, logs the conflict with both sides and answers central's row", async () => {
    const { id, row } = await product();
    const upd = update(id, { ...row, name: "Green tea (loose)", price_cents: 1 });
    const [r] = await till.push([upd]);
    expect(r).toMatchObject({
      status: "CONFLICT",
      strategy: "CENTRAL_WINS",
      resolution: "CENTRAL_KEPT",
      keptFields: ["price_cents"],
      version: 2,
    });
    expect((r as { centralData: Record<string, unknown> }).centralData).toMatchObject({
      name: "Green tea (loose)",
      price_cents: 400,
      version: 2,
    });
    expect(await centralRow(id)).toMatchObject({ name: "Green tea (loose)", price_cents: 400, version: 2 });
    const logged = (await pg.query(`SELECT * FROM conflicts WHERE change_id = $1`, [upd.changeId])).rows[0];
    expect(logged).toMatchObject({ strategy: "CENTRAL_WINS", resolution: "CENTRAL_KEPT", status: "RESOLVED" });
    expect([logged.terminal_data.price_cents, logged.central_data.price_cents]).toEqual([1, 400]);
  });

  it("keeps every central field (tax rate, active, category, brand) and writes nothing when nothing else changed", async () => {
    const { id, row } = await product();
    const otherCategory = randomUUID();
    await pg.query(`INSERT INTO categories (id, name) VALUES ($1, 'Coffee')`, [otherCategory]);
    const feedBefore = (await pg.query(`SELECT count(*)::int AS n FROM change_feed WHERE entity_id = $1`, [id])).rows[0]
      .n;
    const [r] = await till.push([
      update(id, { ...row, tax_rate_bp: 0, active: false, category_id: otherCategory, brand_id: null }),
    ]);
    expect(r).toMatchObject({ status: "CONFLICT", resolution: "CENTRAL_KEPT", version: 1 });
    expect([...(r as { keptFields: string[] }).keptFields].sort()).toEqual([
      "active",
      "brand_id",
      "category_id",
      "tax_rate_bp",
    ]);
    expect(await centralRow(id)).toMatchObject({
      tax_rate_bp: 700,
      active: true,
      category_id: categoryId,
      brand_id: brandId,
      version: 1,
    });
    // Nothing was written: no new version for every till to download.
    expect((await pg.query(`SELECT count(*)::int AS n FROM change_feed WHERE entity_id = $1`, [id])).rows[0].n).toBe(
      feedBefore,
    );
  });

  it("lets a terminal create a product with its price, and then keeps central's price", async () => {
    const id = randomUUID();
    const created = { id, sku: `NEW-${id}`, name: "Till-made", price_cents: 250 };
    const [c] = await till.push([change("products", created, { syncPriority: 5 })]);
    expect(c).toMatchObject({ status: "APPLIED", version: 1 });
    expect(await centralRow(id)).toMatchObject({ name: "Till-made", price_cents: 250 });
    const [u] = await till.push([update(id, { ...created, price_cents: 9 })]);
    expect(u).toMatchObject({ status: "CONFLICT", resolution: "CENTRAL_KEPT", keptFields: ["price_cents"] });
    expect(await centralRow(id)).toMatchObject({ price_cents: 250 });
  });

  it("applies a change that leaves every central field as central has it, without a conflict", async () => {
    const { id, row } = await product();
    const [r] = await till.push([update(id, { ...row, name: "Sencha" })]);
    expect(r).toMatchObject({ status: "APPLIED", version: 2 });
    expect(await centralRow(id)).toMatchObject({ name: "Sencha", price_cents: 400 });
  });

  it("keeps central's price when central also changed the row: the whole row stays, the answer names what differed", async () => {
    const { id, row } = await product();
    await pg.query(`UPDATE products SET price_cents = 450 WHERE id = $1`, [id]);
    const [r] = await till.push([update(id, { ...row, name: "Matcha", price_cents: 1 })]);
    expect(r).toMatchObject({ status: "CONFLICT", resolution: "CENTRAL_KEPT", version: 2 });
    expect([...(r as { keptFields: string[] }).keptFields].sort()).toEqual(["name", "price_cents"]);
    expect(await centralRow(id)).toMatchObject({ name: "Green tea", price_cents: 450 });
  });
});

describe("central-owned fields under another strategy", () => {
  const overridden = useTestCentral("fieldowner_tw", {
    SYNC_POLICY_OVERRIDES: { products: { strategy: "TERMINAL_WINS" } },
  });

  it("keeps central's price even when products are TERMINAL_WINS: ownership is not a strategy", async () => {
    const t = await overridden.central.provisionTerminal();
    const till = new TerminalClient(overridden.central.url, t.terminalId, t.key);
    const id = randomUUID();
    await overridden.pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'p', 100)`, [
      id,
      `TW-${id}`,
    ]);
    await overridden.pg.query(`UPDATE products SET name = 'central name' WHERE id = $1`, [id]);
    const [r] = await till.push([
      change(
        "products",
        { sku: `TW-${id}`, name: "till name", price_cents: 1 },
        { entityId: id, operation: "UPDATE", baseVersion: 1, syncPriority: 5 },
      ),
    ]);
    expect(r).toMatchObject({ status: "CONFLICT", resolution: "TERMINAL_APPLIED", keptFields: ["price_cents"] });
    const rows = (await overridden.pg.query(`SELECT name, price_cents FROM products WHERE id = $1`, [id])).rows;
    expect(rows).toEqual([{ name: "till name", price_cents: 100 }]);
  });
});
