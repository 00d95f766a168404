import { randomUUID } from "node:crypto";
import { useTestCentral } from "../testing";
import { change, TerminalClient } from "@tillsync/testkit";

const { central, pg } = useTestCentral("conflicts");

/** One test per strategy of SPEC §2, each driven by the declarative policy. */
describe("conflict strategies", () => {
  let till: TerminalClient;
  let storeId: string;

  beforeAll(async () => {
    const t = await central.provisionTerminal();
    storeId = t.storeId;
    till = new TerminalClient(central.url, t.terminalId, t.key);
  });

  const conflictOf = async (changeId: string) =>
    (await pg.query(`SELECT * FROM conflicts WHERE change_id = $1`, [changeId])).rows[0] as Record<string, unknown>;

  it("applies without conflict when the base is central's version", async () => {
    const id = randomUUID();
    await pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'p', 100)`, [id, `NC-${id}`]);
    const [r] = await till.push([
      change(
        "products",
        { sku: `NC-${id}`, name: "p (loose)", price_cents: 100 },
        { entityId: id, operation: "UPDATE", baseVersion: 1, syncPriority: 5 },
      ),
    ]);
    expect(r).toMatchObject({ status: "APPLIED", version: 2 });
    expect((await pg.query(`SELECT name FROM products WHERE id = $1`, [id])).rows).toEqual([{ name: "p (loose)" }]);
  });

  it("TERMINAL_WINS (sale_orders): the terminal's row replaces central's, and the conflict is logged", async () => {
    const id = randomUUID();
    await till.push([change("sale_orders", { id, store_id: storeId, status: "PENDING", total_cents: 100 })]);
    await pg.query(`UPDATE sale_orders SET status = 'VOIDED', version = version + 1 WHERE id = $1`, [id]);
    const upd = change(
      "sale_orders",
      { id, store_id: storeId, status: "COMPLETED", total_cents: 100 },
      { operation: "UPDATE", baseVersion: 1 },
    );
    const [r] = await till.push([upd]);
    expect(r).toMatchObject({
      status: "CONFLICT",
      strategy: "TERMINAL_WINS",
      resolution: "TERMINAL_APPLIED",
      version: 3,
    });
    expect((await pg.query(`SELECT status FROM sale_orders WHERE id = $1`, [id])).rows).toEqual([
      { status: "COMPLETED" },
    ]);
    const c = await conflictOf(upd.changeId);
    expect(c).toMatchObject({
      strategy: "TERMINAL_WINS",
      status: "RESOLVED",
      resolution: "TERMINAL_APPLIED",
      base_version: 1,
      central_version: 2,
    });
    expect((c.central_data as { status: string }).status).toBe("VOIDED");
    expect((c.terminal_data as { status: string }).status).toBe("COMPLETED");
  });

  it("CENTRAL_WINS (products): central's price stays and comes back in the answer", async () => {
    const id = randomUUID();
    await pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'p', 100)`, [id, `CW-${id}`]);
    await pg.query(`UPDATE products SET price_cents = 150 WHERE id = $1`, [id]);
    const upd = change(
      "products",
      { sku: `CW-${id}`, name: "p", price_cents: 90 },
      { entityId: id, operation: "UPDATE", baseVersion: 1, syncPriority: 5 },
    );
    const [r] = await till.push([upd]);
    expect(r).toMatchObject({ status: "CONFLICT", strategy: "CENTRAL_WINS", resolution: "CENTRAL_KEPT", version: 2 });
    expect((r as unknown as { centralData: { price_cents: number } }).centralData.price_cents).toBe(150);
    expect((await pg.query(`SELECT price_cents FROM products WHERE id = $1`, [id])).rows).toEqual([
      { price_cents: 150 },
    ]);
    expect(await conflictOf(upd.changeId)).toMatchObject({
      strategy: "CENTRAL_WINS",
      resolution: "CENTRAL_KEPT",
      base_version: 1,
      central_version: 2,
    });
  });

  it("MERGE (customers): loyalty points and spend add up as deltas, other fields keep central's value", async () => {
    const id = randomUUID();
    await pg.query(
      `INSERT INTO customers (id, name, email, loyalty_points, total_spent_cents) VALUES ($1, 'Ann', 'a@x', 100, 1000)`,
      [id],
    );
    // Central (another till's earlier push, or the back office) adds 20 points and renames.
    await pg.query(
      `UPDATE customers SET loyalty_points = loyalty_points + 20, total_spent_cents = 1500, name = 'Ann B' WHERE id = $1`,
      [id],
    );
    const upd = change(
      "customers",
      { name: "Annie", email: "a@x", loyalty_points: 130, total_spent_cents: 1300 },
      {
        entityId: id,
        operation: "UPDATE",
        baseVersion: 1,
        syncPriority: 6,
        baseData: { id, name: "Ann", email: "a@x", loyalty_points: 100, total_spent_cents: 1000 },
      },
    );
    const [r] = await till.push([upd]);
    expect(r).toMatchObject({ status: "CONFLICT", strategy: "MERGE", resolution: "MERGED", version: 3 });
    const row = (await pg.query(`SELECT name, loyalty_points, total_spent_cents FROM customers WHERE id = $1`, [id]))
      .rows[0];
    expect(row).toEqual({ name: "Ann B", loyalty_points: 150, total_spent_cents: 1800 });
    expect(await conflictOf(upd.changeId)).toMatchObject({ strategy: "MERGE", resolution: "MERGED" });
  });

  it("lists the conflict log, filtered by status, for admins only", async () => {
    const all = await central.admin<{ conflicts: Array<{ strategy: string }> }>("GET", "/api/conflicts");
    expect(all.body.conflicts.map((c) => c.strategy).sort()).toEqual(["CENTRAL_WINS", "MERGE", "TERMINAL_WINS"]);
    const pending = await central.admin<{ conflicts: unknown[] }>("GET", "/api/conflicts?status=PENDING");
    expect(pending.body.conflicts).toEqual([]);
    expect((await central.admin("GET", "/api/conflicts?status=MAYBE")).status).toBe(400);
    expect((await till.raw("GET", "/api/conflicts")).status).toBe(401);
  });
});
