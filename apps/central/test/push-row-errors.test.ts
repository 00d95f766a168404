import { randomUUID } from "node:crypto";
import { change, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

/**
 * A change PostgreSQL refuses (a row-level error: a value it cannot store, a constraint) is
 * REJECTED alone and the rest of its batch lands (G6). A push writes the whole batch with no
 * savepoint and, when such an error is raised, rolls its transaction back and writes the batch
 * again with a savepoint per round (sync/push-write.ts): nothing of the undone attempt may stay — no row,
 * no ledger delta counted twice, no applied_changes record. PostgreSQL accepts every value the
 * row schemas let through, so the test adds a CHECK constraint to make one payment unstorable.
 */
const { central, pg } = useTestCentral("push_row_errors");

let till: TerminalClient;
let storeId: string;
const productId = randomUUID();
const POISON = 4242;

beforeAll(async () => {
  const t = await central.provisionTerminal();
  till = new TerminalClient(central.url, t.terminalId, t.key);
  storeId = t.storeId;
  await central.admin("POST", "/api/products", { id: productId, sku: "ROW-ERR", name: "Tea", priceCents: 250 });
  await pg.query(`ALTER TABLE payments ADD CONSTRAINT test_unstorable CHECK (amount_cents <> ${POISON})`);
});

const stock = async () =>
  (
    await pg.query<{ quantity: number }>(
      `SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2`,
      [storeId, productId],
    )
  ).rows[0]?.quantity ?? 0;

function sale(amount: number) {
  const orderId = randomUUID();
  return [
    change("sale_orders", { id: orderId, store_id: storeId, status: "COMPLETED", total_cents: amount }),
    change("sale_order_lines", {
      order_id: orderId,
      product_id: productId,
      quantity: 1,
      unit_price_cents: amount,
      line_total_cents: amount,
    }),
    change("payments", { order_id: orderId, method: "CASH", amount_cents: amount }),
    change("inventory_adjustments", { store_id: storeId, product_id: productId, delta: -1, reason: "SALE" }),
  ];
}

describe("push: a change PostgreSQL refuses is REJECTED alone (G6)", () => {
  it("lands the rest of the batch once: rows, ledger deltas and exactly-once records", async () => {
    const before = await stock();
    const good = sale(100);
    const poisoned = sale(POISON);
    const more = sale(200);
    const batch = [...good, ...poisoned, ...more];
    const results = await till.push(batch);

    const badPayment = poisoned[2]!;
    for (const [i, r] of results.entries()) {
      if (batch[i] === badPayment)
        expect(r).toMatchObject({ status: "REJECTED", reason: expect.stringMatching(/could not store the row/) });
      else expect({ i, status: r.status }).toEqual({ i, status: "APPLIED" });
    }
    const ids = (t: string) => batch.filter((c) => c.entityType === t).map((c) => c.entityId);
    const count = async (t: string) =>
      Number((await pg.query(`SELECT count(*) AS n FROM ${t} WHERE id = ANY($1::uuid[])`, [ids(t)])).rows[0].n);
    expect(await count("sale_orders")).toBe(3);
    expect(await count("sale_order_lines")).toBe(3);
    expect(await count("payments")).toBe(2);
    expect(await count("inventory_adjustments")).toBe(3);
    // The first, undone attempt had counted the three deltas already: they count once.
    expect(await stock()).toBe(before - 3);
    const recorded = await pg.query(`SELECT change_id FROM applied_changes WHERE change_id = ANY($1::uuid[])`, [
      batch.map((c) => c.changeId),
    ]);
    expect(recorded.rowCount).toBe(batch.length - 1);

    // Sent again: the applied ones are DUPLICATEs with their first result, the refused one is judged afresh.
    const again = await till.push(batch);
    expect(again.map((r) => r.status)).toEqual(batch.map((c) => (c === badPayment ? "REJECTED" : "DUPLICATE")));
    expect(await stock()).toBe(before - 3);
  });

  it("still writes a batch without such a change in one go, versions as before", async () => {
    const batch = sale(300);
    const results = await till.push(batch);
    expect(results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "APPLIED", "APPLIED"]);
    expect(results.map((r) => (r as { version: number }).version)).toEqual([1, 1, 1, 1]);
  });
});
