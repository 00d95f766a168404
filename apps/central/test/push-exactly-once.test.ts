import { randomUUID } from "node:crypto";
import { useTestCentral } from "../testing";
import { change, TerminalClient } from "@tillsync/testkit";

/** G1 at the protocol level: a change takes effect once, however often it is sent. */
describe("push is exactly-once (G1)", () => {
  const { central, pg } = useTestCentral("g1");
  let till: TerminalClient;
  let storeId: string;
  const productId = randomUUID();

  beforeAll(async () => {
    const t = await central.provisionTerminal();
    storeId = t.storeId;
    till = new TerminalClient(central.url, t.terminalId, t.key);
    await central.admin("POST", "/api/products", { id: productId, sku: "G1", name: "g1", priceCents: 100 });
    await central.admin("POST", "/api/stock", { storeId, productId, quantity: 50 });
  });

  const stock = async () =>
    (
      await pg.query(`SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2`, [
        storeId,
        productId,
      ])
    ).rows[0].quantity as number;

  function sale() {
    const orderId = randomUUID();
    return [
      change("sale_orders", { id: orderId, store_id: storeId, status: "COMPLETED", total_cents: 300 }),
      change("sale_order_lines", {
        order_id: orderId,
        product_id: productId,
        quantity: 3,
        unit_price_cents: 100,
        line_total_cents: 300,
      }),
      change("payments", { order_id: orderId, method: "CASH", amount_cents: 300 }),
      change(
        "inventory_adjustments",
        { store_id: storeId, product_id: productId, delta: -3, reason: "SALE" },
        { syncPriority: 8 },
      ),
    ];
  }

  it("answers a repeated push DUPLICATE for each change, with the original result, and changes nothing", async () => {
    const batch = sale();
    const first = await till.push(batch);
    expect(first.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "APPLIED", "APPLIED"]);
    const orders = (await pg.query(`SELECT count(*)::int AS n FROM sale_orders`)).rows[0].n;
    expect(await stock()).toBe(47);

    const second = await till.push(batch);
    expect(second).toEqual(first.map((r) => ({ changeId: r.changeId, status: "DUPLICATE", original: r })));
    expect((await pg.query(`SELECT count(*)::int AS n FROM sale_orders`)).rows[0].n).toBe(orders);
    expect(await stock()).toBe(47);
  });

  it("applies a change once when the same push races itself", async () => {
    const batch = sale();
    const results = await Promise.all([till.push(batch), till.push(batch), till.push(batch)]);
    const statuses = results.map((r) => r[3]!.status).sort();
    expect(statuses).toEqual(["APPLIED", "DUPLICATE", "DUPLICATE"]);
    expect(await stock()).toBe(44);
  });

  it("applies an adjustment once even when it comes back under a new change id", async () => {
    const adj = change(
      "inventory_adjustments",
      { store_id: storeId, product_id: productId, delta: -1, reason: "DAMAGE" },
      { syncPriority: 8 },
    );
    await till.push([adj]);
    const again = { ...adj, changeId: randomUUID() } as typeof adj;
    expect((await till.push([again]))[0]!.status).toBe("APPLIED");
    expect(await stock()).toBe(43);
  });

  it("rejects a child whose parent has not arrived, without claiming it, and applies it once the parent is there", async () => {
    const orderId = randomUUID();
    const line = change("sale_order_lines", {
      order_id: orderId,
      product_id: productId,
      quantity: 1,
      unit_price_cents: 1,
      line_total_cents: 1,
    });
    const [r] = await till.push([line]);
    expect(r).toMatchObject({ status: "REJECTED", retryable: true });
    expect((r as { reason: string }).reason).toMatch(/parent sale_orders .* has not reached central/);
    await till.push([change("sale_orders", { id: orderId, store_id: storeId, status: "PENDING" })]);
    expect((await till.push([line]))[0]!.status).toBe("APPLIED");
  });

  it("isolates a row central cannot store (G6): the rest of the batch lands", async () => {
    const good = change("customers", { name: "Good" }, { syncPriority: 6 });
    const clash = change("products", { sku: "G1", name: "same sku, other id", price_cents: 1 }, { syncPriority: 5 });
    const results = await till.push([good, clash]);
    expect(results[0]!.status).toBe("APPLIED");
    expect(results[1]).toMatchObject({ status: "REJECTED", retryable: false });
    expect((await pg.query(`SELECT name FROM customers WHERE id = $1`, [good.entityId])).rows).toEqual([
      { name: "Good" },
    ]);
  });
});

/**
 * A change id is unique per terminal only (the agent's ids carry 32 random bits across
 * terminals): applied_changes is keyed by (terminal, change id). Another terminal's same id is
 * another change, judged afresh; it neither learns nor replays the first terminal's result.
 */
describe("change ids are per terminal (G1, G8)", () => {
  const { central, pg } = useTestCentral("g1ids");
  let a: TerminalClient;
  let b: TerminalClient;
  let storeId: string;
  let aId: string;

  beforeAll(async () => {
    const ta = await central.provisionTerminal();
    storeId = ta.storeId;
    aId = ta.terminalId;
    // Same store: only the terminal tells the two apart.
    const tb = await central.provisionTerminal({ storeId, name: "Second till" });
    a = new TerminalClient(central.url, ta.terminalId, ta.key);
    b = new TerminalClient(central.url, tb.terminalId, tb.key);
  });

  it("applies both terminals' changes under one change id; each repeat is DUPLICATE with its own first result", async () => {
    const ca = change("customers", { name: "A's" });
    const cb = { ...change("customers", { name: "B's" }), changeId: ca.changeId } as typeof ca;
    const [ra] = await a.push([ca]);
    const [rb] = await b.push([cb]);
    expect(ra).toMatchObject({ changeId: ca.changeId, status: "APPLIED" });
    expect(rb).toMatchObject({ changeId: ca.changeId, status: "APPLIED" });
    const names = await pg.query(`SELECT name FROM customers WHERE id = ANY($1::uuid[]) ORDER BY name`, [
      [ca.entityId, cb.entityId],
    ]);
    expect(names.rows).toEqual([{ name: "A's" }, { name: "B's" }]);
    expect(await b.push([cb])).toEqual([{ changeId: ca.changeId, status: "DUPLICATE", original: rb }]);
    expect(await a.push([ca])).toEqual([{ changeId: ca.changeId, status: "DUPLICATE", original: ra }]);
  });

  it("applies both when two terminals push one change id at the same moment", async () => {
    const ca = change("customers", { name: "A at once" });
    const cb = { ...change("customers", { name: "B at once" }), changeId: ca.changeId } as typeof ca;
    const [[ra], [rb], [ra2]] = await Promise.all([a.push([ca]), b.push([cb]), a.push([ca])]);
    expect([ra!.status, ra2!.status].sort()).toEqual(["APPLIED", "DUPLICATE"]);
    expect(rb!.status).toBe("APPLIED");
  });

  it("judges another terminal's replay of a change afresh: its sale is refused, its result not shown", async () => {
    const order = change("sale_orders", { store_id: storeId, terminal_id: aId, status: "COMPLETED", total_cents: 100 });
    const [first] = await a.push([order]);
    expect(first!.status).toBe("APPLIED");
    const [replay] = await b.push([order]);
    expect(replay).toMatchObject({ changeId: order.changeId, status: "REJECTED", retryable: false });
    expect(replay).not.toHaveProperty("original");
    expect((replay as { reason: string }).reason).toMatch(/cannot write rows of terminal/);
    const edit = change(
      "sale_orders",
      { id: order.entityId, store_id: storeId, status: "VOIDED", total_cents: 0 },
      { entityId: order.entityId, operation: "UPDATE", baseVersion: 1 },
    );
    const [rewrite] = await b.push([{ ...edit, changeId: order.changeId } as typeof edit]);
    expect(rewrite).toMatchObject({ status: "REJECTED", retryable: false });
    expect((rewrite as { reason: string }).reason).toMatch(/belongs to terminal/);
    const { rows } = await pg.query(`SELECT status, total_cents FROM sale_orders WHERE id = $1`, [order.entityId]);
    expect(rows).toEqual([{ status: "COMPLETED", total_cents: 100 }]);
    const recorded = await pg.query(`SELECT terminal_id FROM applied_changes WHERE change_id = $1`, [order.changeId]);
    expect(recorded.rows).toEqual([{ terminal_id: aId }]);
  });
});

describe("terminal endpoints guard their input (G8)", () => {
  const { central } = useTestCentral("g8");
  let till: TerminalClient;
  let other: { terminalId: string; key: string; storeId: string };

  beforeAll(async () => {
    const t = await central.provisionTerminal();
    till = new TerminalClient(central.url, t.terminalId, t.key);
    other = await central.provisionTerminal({ name: "Other store's till" });
  });

  it("refuses a missing or unknown key with 401", async () => {
    expect((await till.raw("GET", "/api/sync/pull", undefined, "tsk_nope")).status).toBe(401);
    const res = await fetch(`${central.url}/api/sync/pull`);
    expect(res.status).toBe(401);
  });

  it("refuses a rotated-out key and accepts the new one", async () => {
    const t = await central.provisionTerminal();
    const rotated = await central.admin<{ key: string }>("POST", `/api/terminals/${t.terminalId}/rotate-key`);
    const c = new TerminalClient(central.url, t.terminalId, t.key);
    expect((await c.raw("GET", "/api/sync/pull")).status).toBe(401);
    expect((await c.raw("GET", "/api/sync/pull", undefined, rotated.body.key)).status).toBe(200);
  });

  it("answers 400 naming the bad field, and 400 for broken JSON", async () => {
    const r = await till.raw("POST", "/api/sync/push", { terminalId: till.terminalId, changes: [{ changeId: "x" }] });
    expect(r.status).toBe(400);
    expect((r.body.error as { message: string }).message).toMatch(/changes\.0\.changeId: must be a UUID/);
    const broken = await till.raw("POST", "/api/sync/push", "{not json");
    expect(broken.status).toBe(400);
    expect((await till.raw("GET", "/api/sync/pull?since=abc")).status).toBe(400);
  });

  it("lets a terminal act only as itself", async () => {
    const r = await till.raw("POST", "/api/sync/push", {
      terminalId: other.terminalId,
      changes: [change("customers", { name: "x" })],
    });
    expect(r.status).toBe(403);
    const [res] = await till.push([change("sale_orders", { store_id: other.storeId, terminal_id: other.terminalId })]);
    expect(res).toMatchObject({ status: "REJECTED", retryable: false });
  });

  it("keeps admin endpoints behind the admin token, and stores only a key hash", async () => {
    expect((await till.raw("GET", "/api/terminals")).status).toBe(401);
    const { Client } = await import("pg");
    const pg = new Client({ connectionString: central.databaseUrl });
    await pg.connect();
    const { rows } = await pg.query(`SELECT key_hash FROM terminal_keys WHERE terminal_id = $1`, [till.terminalId]);
    await pg.end();
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).not.toContain(till.key);
    expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
