import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { change, TerminalClient, waitFor } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

/**
 * Every stock movement is a ledger row (issue 12 §3): counts, receipts, damage and transfers
 * made at central append adjustments with who and why, the quantity is the sum of the ledger,
 * and GET /api/stock/:storeId/:productId/history shows it.
 */
/** The fields these tests read from /api/stock answers (movements, history pages, errors). */
interface StockAnswer {
  inventoryItem: { storeId: string; productId: string; quantity: number };
  inventoryItems: Array<{ quantity: number }>;
  adjustments: Array<Record<string, unknown>>;
  quantity: number | null;
  nextCursor: string | null;
  error: { message: string };
}

describe("the stock ledger at central", () => {
  const { central, pg } = useTestCentral("stock_ledger");
  let storeA: string;
  let storeB: string;
  let till: TerminalClient;

  beforeAll(async () => {
    const t = await central.provisionTerminal({ name: "Till A1" });
    storeA = t.storeId;
    till = new TerminalClient(central.url, t.terminalId, t.key);
    storeB = ((await central.admin("POST", "/api/stores", { name: "B" })).body as { store: { id: string } }).store.id;
  });

  async function product(): Promise<string> {
    const id = randomUUID();
    const r = await central.admin("POST", "/api/products", { id, sku: `S-${id}`, name: "Soap", priceCents: 100 });
    expect(r.status).toBe(200);
    return id;
  }
  const move = (body: Record<string, unknown>) => central.admin<StockAnswer>("POST", "/api/stock", body);
  async function stockOf(storeId: string, productId: string) {
    const q = await pg.query(
      `SELECT (SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2) AS quantity,
              (SELECT coalesce(sum(delta), 0)::int FROM inventory_adjustments WHERE store_id = $1 AND product_id = $2) AS ledger`,
      [storeId, productId],
    );
    return q.rows[0] as { quantity: number | null; ledger: number };
  }

  it("a count appends (count − current) with who and why, and the quantity follows", async () => {
    const p = await product();
    const first = await move({ storeId: storeA, productId: p, quantity: 40, note: "opening count" });
    expect(first.status).toBe(200);
    expect(first.body.inventoryItem).toMatchObject({ storeId: storeA, productId: p, quantity: 40 });
    expect(first.body.adjustments).toEqual([
      expect.objectContaining({
        delta: 40,
        reason: "COUNT",
        operatorName: "owner",
        note: "opening count",
        terminalId: null,
      }),
    ]);
    // A till sells 3 meanwhile; the next count of 30 records the 7 that went missing on top.
    const sale = change("inventory_adjustments", { store_id: storeA, product_id: p, delta: -3, reason: "SALE" });
    expect((await till.push([sale]))[0]!.status).toBe("APPLIED");
    const second = await move({ type: "COUNT", storeId: storeA, productId: p, quantity: 30 });
    expect(second.body.adjustments[0]).toMatchObject({ delta: -7, reason: "COUNT" });
    expect(await stockOf(storeA, p)).toEqual({ quantity: 30, ledger: 30 });
  });

  it("receipts and damage move the quantity by their units", async () => {
    const p = await product();
    expect((await move({ type: "RECEIVE", storeId: storeA, productId: p, quantity: 12, note: "PO 77" })).status).toBe(
      200,
    );
    const damaged = await move({ type: "DAMAGE", storeId: storeA, productId: p, quantity: 2, note: "dropped" });
    expect(damaged.body.inventoryItem.quantity).toBe(10);
    expect(damaged.body.adjustments[0]).toMatchObject({ delta: -2, reason: "DAMAGE", note: "dropped" });
    expect(await stockOf(storeA, p)).toEqual({ quantity: 10, ledger: 10 });
  });

  it("a transfer is one operation of two adjustments sharing a transfer id", async () => {
    const p = await product();
    await move({ storeId: storeA, productId: p, quantity: 20 });
    const t = await move({ type: "TRANSFER", fromStoreId: storeA, toStoreId: storeB, productId: p, quantity: 8 });
    expect(t.status).toBe(200);
    const [out, into] = t.body.adjustments;
    expect(out).toMatchObject({ storeId: storeA, delta: -8, reason: "TRANSFER" });
    expect(into).toMatchObject({ storeId: storeB, delta: 8, reason: "TRANSFER", transferId: out!.transferId });
    expect(out!.transferId).toEqual(expect.any(String));
    expect(t.body.inventoryItems.map((i) => i.quantity)).toEqual([12, 8]);
    expect(await stockOf(storeA, p)).toEqual({ quantity: 12, ledger: 12 });
    expect(await stockOf(storeB, p)).toEqual({ quantity: 8, ledger: 8 });
  });

  it("a transfer to a store that does not exist is a 404 and moves nothing at the source", async () => {
    const p = await product();
    await move({ storeId: storeA, productId: p, quantity: 5 });
    const ghost = randomUUID();
    const t = await move({ type: "TRANSFER", fromStoreId: storeA, toStoreId: ghost, productId: p, quantity: 5 });
    expect(t.status).toBe(404);
    expect(t.body.error.message).toContain(ghost);
    expect(await stockOf(storeA, p)).toEqual({ quantity: 5, ledger: 5 });
  });

  it.each([
    ["a count below zero", { quantity: -1 }, /quantity/],
    ["a receipt of 0 units", { type: "RECEIVE", quantity: 0 }, /at least 1/],
    ["an unknown type", { type: "STEAL" }, /type must be one of/],
    ["a transfer to the same store", { type: "TRANSFER", toStoreId: "SAME" }, /another store/],
    ["a note too long", { note: "x".repeat(501) }, /note/],
  ])("refuses %s with a 400 naming it, and writes nothing", async (_name, over, message) => {
    const p = await product();
    const body: Record<string, unknown> = { storeId: storeA, productId: p, quantity: 3, ...over };
    if (body.type === "TRANSFER") Object.assign(body, { fromStoreId: storeA, toStoreId: storeA });
    const r = await move(body);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(message);
    expect(await stockOf(storeA, p)).toEqual({ quantity: null, ledger: 0 });
  });

  it("a receipt that would take stock beyond the integer range is a 400, not a 500", async () => {
    const p = await product();
    await move({ storeId: storeA, productId: p, quantity: 2_147_483_000 });
    const r = await move({ type: "RECEIVE", storeId: storeA, productId: p, quantity: 1000 });
    expect(r.status).toBe(400);
    expect(await stockOf(storeA, p)).toEqual({ quantity: 2_147_483_000, ledger: 2_147_483_000 });
  });

  it("a count waits for a till's adjustment that holds the item, and counts after it (row lock)", async () => {
    const p = await product();
    await move({ storeId: storeA, productId: p, quantity: 50 });
    // A push in flight: it has moved the counter and not committed yet.
    const push = new Client({ connectionString: central.databaseUrl });
    await push.connect();
    try {
      await push.query("BEGIN");
      await push.query(
        `INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES ($1, $2, -4, 'SALE')`,
        [storeA, p],
      );
      await push.query(`UPDATE inventory_items SET quantity = quantity - 4 WHERE store_id = $1 AND product_id = $2`, [
        storeA,
        p,
      ]);
      const counted = move({ storeId: storeA, productId: p, quantity: 45 });
      await waitFor(
        async () =>
          (
            await pg.query(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rowCount,
        { what: "the count waiting for the item's row lock" },
      );
      await push.query("COMMIT");
      expect((await counted).body.adjustments[0]).toMatchObject({ delta: -1 });
    } finally {
      await push.end();
    }
    expect(await stockOf(storeA, p)).toEqual({ quantity: 45, ledger: 45 });
  });

  it("concurrent counts and till sales leave quantity = sum of the ledger", async () => {
    const p = await product();
    await move({ storeId: storeA, productId: p, quantity: 100 });
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < 10; i++) {
      work.push(move({ storeId: storeA, productId: p, quantity: 100 + i }));
      work.push(
        till.push([change("inventory_adjustments", { store_id: storeA, product_id: p, delta: -1, reason: "SALE" })]),
      );
      work.push(move({ type: "TRANSFER", fromStoreId: storeA, toStoreId: storeB, productId: p, quantity: 1 }));
    }
    await Promise.all(work);
    const a = await stockOf(storeA, p);
    expect(a.quantity).toBe(a.ledger);
    expect(await stockOf(storeB, p)).toEqual({ quantity: 10, ledger: 10 });
  });

  it("the history shows every movement newest first, paged, with the till's name for its own", async () => {
    const p = await product();
    await move({ storeId: storeA, productId: p, quantity: 10, note: "count" });
    await till.push([change("inventory_adjustments", { store_id: storeA, product_id: p, delta: -2, reason: "SALE" })]);
    await move({ type: "RECEIVE", storeId: storeA, productId: p, quantity: 5 });
    const url = `/api/stock/${storeA}/${p}/history`;
    const first = await central.admin<StockAnswer>("GET", `${url}?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.quantity).toBe(13);
    expect(first.body.adjustments.map((a) => a.reason)).toEqual(["RECEIVE", "SALE"]);
    expect(first.body.adjustments[1]).toMatchObject({
      terminalId: till.terminalId,
      terminalName: "Till A1",
      operatorName: null,
    });
    const second = await central.admin<StockAnswer>("GET", `${url}?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.adjustments).toEqual([
      expect.objectContaining({ reason: "COUNT", operatorName: "owner", note: "count" }),
    ]);
    expect(second.body.nextCursor).toBeNull();
  });

  it("the history of an unknown product is a 404, of a bad id a 400, and a viewer may read it", async () => {
    expect((await central.admin("GET", `/api/stock/${storeA}/${randomUUID()}/history`)).status).toBe(404);
    expect((await central.admin("GET", `/api/stock/${storeA}/nope/history`)).status).toBe(400);
    const viewer = await central.createOperator("stock-viewer", "viewer");
    const p = await product();
    const res = await fetch(`${central.url}/api/stock/${storeA}/${p}/history`, {
      headers: { authorization: `Bearer ${viewer.token}` },
    });
    expect(res.status).toBe(200);
    const denied = await fetch(`${central.url}/api/stock`, {
      method: "POST",
      headers: { authorization: `Bearer ${viewer.token}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "RECEIVE", storeId: storeA, productId: p, quantity: 1 }),
    });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toContain("stock.receive");
  });
});
