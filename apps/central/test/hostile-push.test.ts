import { randomUUID } from "node:crypto";
import type { PushChange } from "@tillsync/shared";
import { change, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";
import { dataChecksum, errorOf, expectHealthy, jsonRequest, long } from "./support/hostile";

/**
 * Hostile input on POST /api/sync/push (G6, G8): every poisoned change is REJECTED with a
 * reason naming the column and the rule (or the request is a 4xx naming the field), no data
 * table changes, and central still answers /health. One central for the file; each case is a
 * row of a table.
 */
const { central, pg } = useTestCentral("hostile_push");

let till: TerminalClient;
let storeId: string;
let otherStoreId: string;
let otherTerminalId: string;
const productId = randomUUID();
const customerId = randomUUID();
const orderId = randomUUID();

beforeAll(async () => {
  const t = await central.provisionTerminal();
  till = new TerminalClient(central.url, t.terminalId, t.key);
  storeId = t.storeId;
  const other = await central.provisionTerminal({ name: "Other store's till" });
  otherStoreId = other.storeId;
  otherTerminalId = other.terminalId;
  await central.admin("POST", "/api/products", { id: productId, sku: "HOSTILE-1", name: "Tea", priceCents: 250 });
  const seed = await till.push([
    change("customers", { id: customerId, name: "Ann", loyalty_points: 10 }, { syncPriority: 6 }),
    change("sale_orders", { id: orderId, store_id: storeId, status: "PENDING", total_cents: 0 }),
  ]);
  expect(seed.map((r) => r.status)).toEqual(["APPLIED", "APPLIED"]);
});

const product = (over: Record<string, unknown>) => ({ sku: `S-${randomUUID()}`, name: "p", price_cents: 1, ...over });
const order = (over: Record<string, unknown>) => ({ store_id: storeId, status: "PENDING", total_cents: 1, ...over });
const line = (over: Record<string, unknown>) => ({
  order_id: orderId,
  product_id: productId,
  quantity: 1,
  unit_price_cents: 1,
  line_total_cents: 1,
  ...over,
});
const payment = (over: Record<string, unknown>) => ({ order_id: orderId, method: "CASH", amount_cents: 1, ...over });
const adjustment = (over: Record<string, unknown>) => ({
  store_id: storeId,
  product_id: productId,
  delta: -1,
  reason: "SALE",
  ...over,
});
/** An update of central's customer made on a stale base: the conflict (MERGE) path. */
const staleCustomer = (over: Record<string, unknown>, extra: Partial<PushChange> = {}) =>
  change(
    "customers",
    { id: customerId, name: "Ann", loyalty_points: 11, ...over },
    { operation: "UPDATE", baseVersion: 0, baseData: { loyalty_points: 10 }, syncPriority: 6, ...extra },
  );
/** An update of central's product on a stale base: the conflict (CENTRAL_WINS) path. */
const staleProduct = (over: Record<string, unknown>) =>
  change(
    "products",
    { id: productId, sku: "HOSTILE-1", name: "Tea", price_cents: 250, ...over },
    { operation: "UPDATE", baseVersion: 0, syncPriority: 5 },
  );

interface RejectCase {
  name: string;
  changes: () => PushChange[];
  reason: RegExp;
}

const INT4 = /must be an integer from -2147483648 to 2147483647/;
const MONEY = /must be an integer from 0 to 2147483647/;
const NUL = /must not contain a NUL character/;
const SURROGATE = /must be valid UTF-8 text \(it has a lone UTF-16 surrogate\)/;

const one = (c: PushChange) => () => [c];
const rejectCases: RejectCase[] = [
  // products: integer domains
  {
    name: "products.price_cents 3e9",
    changes: () => [change("products", product({ price_cents: 3e9 }))],
    reason: /price_cents: .*from 0 to 2147483647/,
  },
  { name: "products.price_cents -1", changes: () => [change("products", product({ price_cents: -1 }))], reason: MONEY },
  {
    name: "products.price_cents 1.5",
    changes: () => [change("products", product({ price_cents: 1.5 }))],
    reason: MONEY,
  },
  {
    name: "products.price_cents as text",
    changes: () => [change("products", product({ price_cents: "250" }))],
    reason: MONEY,
  },
  {
    name: "products.price_cents 1e300",
    changes: () => [change("products", product({ price_cents: 1e300 }))],
    reason: MONEY,
  },
  {
    name: "products.price_cents missing",
    changes: () => [change("products", { sku: "X-missing", name: "p" })],
    reason: /price_cents: is required/,
  },
  {
    name: "products.tax_rate_bp 10001",
    changes: () => [change("products", product({ tax_rate_bp: 10_001 }))],
    reason: /tax_rate_bp: must be an integer from 0 to 10000/,
  },
  {
    name: "products.tax_rate_bp -1",
    changes: () => [change("products", product({ tax_rate_bp: -1 }))],
    reason: /tax_rate_bp: must be an integer from 0 to 10000/,
  },
  // products: text domains
  {
    name: "products.sku 65 characters",
    changes: () => [change("products", product({ sku: long(65) }))],
    reason: /sku: must be at most 64 characters long/,
  },
  {
    name: "products.sku a megabyte (uniquely indexed)",
    changes: () => [change("products", product({ sku: long(1_000_000) }))],
    reason: /sku: must be at most 64 characters long/,
  },
  {
    name: "products.name 201 characters",
    changes: () => [change("products", product({ name: long(201) }))],
    reason: /name: must be at most 200 characters long/,
  },
  { name: "products.name with NUL", changes: () => [change("products", product({ name: "te\u0000a" }))], reason: NUL },
  { name: "products.sku with NUL", changes: () => [change("products", product({ sku: "A\u0000B" }))], reason: NUL },
  {
    name: "products.name lone high surrogate",
    changes: () => [change("products", product({ name: "tea\ud800" }))],
    reason: SURROGATE,
  },
  {
    name: "products.name lone low surrogate",
    changes: () => [change("products", product({ name: "\udc00tea" }))],
    reason: SURROGATE,
  },
  {
    name: "products.name reversed surrogate pair",
    changes: () => [change("products", product({ name: "\udc00\ud800" }))],
    reason: SURROGATE,
  },
  {
    name: "products.name a number",
    changes: () => [change("products", product({ name: 42 }))],
    reason: /name: must be text/,
  },
  {
    name: "products.name an object",
    changes: () => [change("products", product({ name: { $gt: "" } }))],
    reason: /name: must be text/,
  },
  { name: "products.active 'yes'", changes: () => [change("products", product({ active: "yes" }))], reason: /active/ },
  {
    name: "products.category_id not a uuid",
    changes: () => [change("products", product({ category_id: "cat" }))],
    reason: /category_id: category_id must be a UUID/,
  },
  {
    name: "products.brand_id with NUL",
    changes: () => [change("products", product({ brand_id: "\u0000" }))],
    reason: /brand_id/,
  },
  // the conflict path: the row is judged before any conflict is
  {
    name: "stale products update with NUL in name (conflict path)",
    changes: () => [staleProduct({ name: "T\u0000" })],
    reason: NUL,
  },
  {
    name: "stale products update with price 3e9 (conflict path)",
    changes: () => [staleProduct({ price_cents: 3e9 })],
    reason: MONEY,
  },
  {
    name: "stale customers update with lone surrogate (conflict path)",
    changes: () => [staleCustomer({ name: "\ud83d" })],
    reason: SURROGATE,
  },
  {
    name: "stale customers update with NUL in email (conflict path)",
    changes: () => [staleCustomer({ email: "a\u0000@b" })],
    reason: NUL,
  },
  // customers
  { name: "customers.name NUL", changes: () => [change("customers", { name: "\u0000" })], reason: NUL },
  {
    name: "customers.email 321 characters",
    changes: () => [change("customers", { name: "x", email: long(321) })],
    reason: /email: must be at most 320 characters long/,
  },
  {
    name: "customers.phone 65 characters",
    changes: () => [change("customers", { name: "x", phone: long(65, "1") })],
    reason: /phone: must be at most 64 characters long/,
  },
  {
    name: "customers.loyalty_points 2^31",
    changes: () => [change("customers", { name: "x", loyalty_points: 2 ** 31 })],
    reason: INT4,
  },
  {
    name: "customers.total_spent_cents -2^31-1",
    changes: () => [change("customers", { name: "x", total_spent_cents: -(2 ** 31) - 1 })],
    reason: INT4,
  },
  {
    name: "customers.name missing",
    changes: () => [change("customers", { email: "a@b" })],
    reason: /name: is required/,
  },
  {
    name: "customers baseData loyalty_points 3e9 (MERGE delta)",
    changes: () => [staleCustomer({}, { baseData: { loyalty_points: 3e9 } })],
    reason: /baseData: loyalty_points: must be an integer/,
  },
  {
    name: "customers baseData loyalty_points 'abc'",
    changes: () => [staleCustomer({}, { baseData: { loyalty_points: "abc" } })],
    reason: /baseData: loyalty_points/,
  },
  // sale_orders
  {
    name: "sale_orders.total_cents -5",
    changes: () => [change("sale_orders", order({ total_cents: -5 }))],
    reason: /total_cents: .*from 0 to 2147483647/,
  },
  {
    name: "sale_orders.total_cents 3e9",
    changes: () => [change("sale_orders", order({ total_cents: 3e9 }))],
    reason: MONEY,
  },
  {
    name: "sale_orders.status SHIPPED",
    changes: () => [change("sale_orders", order({ status: "SHIPPED" }))],
    reason: /status must be one of PENDING, COMPLETED, VOIDED/,
  },
  {
    name: "sale_orders.created_at 30 February",
    changes: () => [change("sale_orders", order({ created_at: "2024-02-30T10:00:00Z" }))],
    reason: /created_at/,
  },
  {
    name: "sale_orders.created_at 'yesterday'",
    changes: () => [change("sale_orders", order({ created_at: "yesterday" }))],
    reason: /created_at must be an ISO-8601 timestamp/,
  },
  {
    name: "sale_orders.completed_at a number",
    changes: () => [change("sale_orders", order({ completed_at: 1e15 }))],
    reason: /completed_at/,
  },
  {
    name: "sale_orders.created_in_mode MAYBE",
    changes: () => [change("sale_orders", order({ created_in_mode: "MAYBE" }))],
    reason: /created_in_mode must be one of ONLINE, OFFLINE/,
  },
  {
    name: "sale_orders.customer_id not a uuid",
    changes: () => [change("sale_orders", order({ customer_id: "ann" }))],
    reason: /customer_id: customer_id must be a UUID/,
  },
  {
    name: "sale_orders.store_id of another store",
    changes: () => [change("sale_orders", order({ store_id: otherStoreId }))],
    reason: /belongs to store .*, not .* \(store_id\)/,
  },
  {
    name: "sale_orders.store_id missing",
    changes: () => [change("sale_orders", { status: "PENDING" })],
    reason: /store_id: is required/,
  },
  {
    name: "sale_orders.terminal_id of another terminal",
    changes: () => [change("sale_orders", order({ terminal_id: otherTerminalId }))],
    reason: /cannot write rows of terminal .* \(terminal_id\)/,
  },
  {
    name: "sale_orders data.id differs from entityId",
    changes: () => [change("sale_orders", order({ id: randomUUID() }), { entityId: randomUUID() })],
    reason: /differs from entityId/,
  },
  {
    name: "sale_orders CREATE without data",
    changes: () => [change("sale_orders", null)],
    reason: /CREATE needs data/,
  },
  // sale_order_lines
  {
    name: "sale_order_lines.quantity 3e9",
    changes: () => [change("sale_order_lines", line({ quantity: 3e9 }))],
    reason: /quantity: .*-2147483648 to 2147483647/,
  },
  {
    name: "sale_order_lines.unit_price_cents -1",
    changes: () => [change("sale_order_lines", line({ unit_price_cents: -1 }))],
    reason: MONEY,
  },
  {
    name: "sale_order_lines.line_total_cents 1e10",
    changes: () => [change("sale_order_lines", line({ line_total_cents: 1e10 }))],
    reason: MONEY,
  },
  {
    name: "sale_order_lines.order_id missing",
    changes: () => [change("sale_order_lines", line({ order_id: undefined }))],
    reason: /order_id: is required/,
  },
  {
    name: "sale_order_lines.product_id not a uuid",
    changes: () => [change("sale_order_lines", line({ product_id: "tea" }))],
    reason: /product_id must be a UUID/,
  },
  // payments
  {
    name: "payments.method BITCOIN",
    changes: () => [change("payments", payment({ method: "BITCOIN" }))],
    reason: /method must be one of CASH, CARD, VOUCHER, OTHER/,
  },
  {
    name: "payments.amount_cents -100",
    changes: () => [change("payments", payment({ amount_cents: -100 }))],
    reason: MONEY,
  },
  {
    name: "payments.amount_cents 2^31",
    changes: () => [change("payments", payment({ amount_cents: 2 ** 31 }))],
    reason: MONEY,
  },
  // inventory_adjustments (append-only ledger)
  {
    name: "inventory_adjustments.delta 1e10 (stock beyond int4)",
    changes: () => [change("inventory_adjustments", adjustment({ delta: 1e10 }))],
    reason: INT4,
  },
  {
    name: "inventory_adjustments.reason THEFT",
    changes: () => [change("inventory_adjustments", adjustment({ reason: "THEFT" }))],
    reason: /reason must be one of SALE, RETURN, RECEIVE, COUNT, DAMAGE/,
  },
  {
    name: "inventory_adjustments for another store",
    changes: () => [change("inventory_adjustments", adjustment({ store_id: otherStoreId }))],
    reason: /belongs to store/,
  },
  {
    name: "inventory_adjustments UPDATE",
    changes: () => [change("inventory_adjustments", adjustment({}), { operation: "UPDATE" })],
    reason: /append-only; record a correcting row/,
  },
  {
    name: "inventory_adjustments DELETE",
    changes: () => [change("inventory_adjustments", null, { operation: "DELETE" })],
    reason: /append-only/,
  },
  // central-owned tables
  {
    name: "inventory_items CREATE",
    changes: () => [change("inventory_items", { store_id: storeId, product_id: productId, quantity: 1e6 })],
    reason: /inventory_items is owned by central/,
  },
  {
    name: "inventory_items UPDATE",
    changes: () => [
      change("inventory_items", { store_id: storeId, product_id: productId, quantity: 5 }, { operation: "UPDATE" }),
    ],
    reason: /owned by central/,
  },
  {
    name: "categories CREATE",
    changes: () => [change("categories", { name: "Drinks" })],
    reason: /categories is owned by central/,
  },
  {
    name: "brands DELETE",
    changes: () => [change("brands", null, { operation: "DELETE" })],
    reason: /brands is owned by central/,
  },
  // repetition: the first copy is invalid, the second is refused for repeating it
  {
    name: "the same changeId twice, the first invalid",
    changes: () => {
      const c = change("customers", { name: 7 });
      return [c, { ...c }];
    },
    reason: /name: must be text|appears twice in one batch/,
  },
  {
    name: "a NUL in a known column is refused",
    changes: one(change("customers", { name: "\u0000" })),
    reason: NUL,
  },
  {
    // Not dropped silently (issue 12 §7): the agent speaks another row shape than it says.
    name: "an unknown column is refused by name, whatever it holds",
    changes: one(change("customers", { name: "Ann", till_note: "\u0000" })),
    reason: /unknown column till_note/,
  },
];

describe("push: a poisoned change is REJECTED naming the column and the rule, and nothing changes", () => {
  it.each(rejectCases)("$name", async ({ changes, reason }) => {
    const before = await dataChecksum(pg);
    const batch = changes();
    const results = await till.push(batch);
    expect(results).toHaveLength(batch.length);
    for (const r of results) {
      expect(r.status).toBe("REJECTED");
      expect((r as { reason: string }).reason).toMatch(reason);
    }
    expect(await dataChecksum(pg)).toEqual(before);
    await expectHealthy(central.url);
  });
});

interface RequestCase {
  name: string;
  body: () => unknown;
  status: number;
  message: RegExp;
}

const envelope = (over: Record<string, unknown>) => ({ ...change("customers", { name: "x" }), ...over });
const requestCases: RequestCase[] = [
  {
    name: "entityType widgets",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ entityType: "widgets" })] }),
    status: 400,
    message: /changes\.0\.entityType: entityType must be one of/,
  },
  {
    name: "operation UPSERT",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ operation: "UPSERT" })] }),
    status: 400,
    message: /changes\.0\.operation/,
  },
  {
    name: "changeId not a uuid",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ changeId: "1" })] }),
    status: 400,
    message: /changes\.0\.changeId: must be a UUID/,
  },
  {
    name: "entityId with NUL",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ entityId: "\u0000" })] }),
    status: 400,
    message: /changes\.0\.entityId/,
  },
  {
    name: "baseVersion -1",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ baseVersion: -1 })] }),
    status: 400,
    message: /changes\.0\.baseVersion/,
  },
  {
    name: "baseVersion 3e9 (int4 in the conflict log)",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ baseVersion: 3e9 })] }),
    status: 400,
    message: /changes\.0\.baseVersion: must be a version central answered/,
  },
  {
    name: "syncPriority 11",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ syncPriority: 11 })] }),
    status: 400,
    message: /changes\.0\.syncPriority/,
  },
  {
    name: "createdInMode SOMETIMES",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ createdInMode: "SOMETIMES" })] }),
    status: 400,
    message: /changes\.0\.createdInMode/,
  },
  {
    name: "createdAt 'now'",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ createdAt: "now" })] }),
    status: 400,
    message: /changes\.0\.createdAt/,
  },
  {
    name: "data an array",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ data: [1, 2] })] }),
    status: 400,
    message: /changes\.0\.data/,
  },
  {
    name: "data a string",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ data: "row" })] }),
    status: 400,
    message: /changes\.0\.data/,
  },
  {
    name: "baseData a number",
    body: () => ({ terminalId: till.terminalId, changes: [envelope({ baseData: 5 })] }),
    status: 400,
    message: /changes\.0\.baseData/,
  },
  { name: "no changes", body: () => ({ terminalId: till.terminalId, changes: [] }), status: 400, message: /changes/ },
  {
    name: "1001 changes",
    body: () => ({ terminalId: till.terminalId, changes: Array.from({ length: 1001 }, () => envelope({})) }),
    status: 400,
    message: /changes/,
  },
  {
    name: "changes not an array",
    body: () => ({ terminalId: till.terminalId, changes: { 0: envelope({}) } }),
    status: 400,
    message: /changes/,
  },
  {
    name: "terminalId missing",
    body: () => ({ changes: [envelope({})] }),
    status: 400,
    message: /terminalId: is required/,
  },
  {
    name: "terminalId not a uuid",
    body: () => ({ terminalId: "me", changes: [envelope({})] }),
    status: 400,
    message: /terminalId: must be a UUID/,
  },
  {
    name: "terminalId of another terminal",
    body: () => ({ terminalId: otherTerminalId, changes: [envelope({})] }),
    status: 403,
    message: /this key belongs to terminal/,
  },
  { name: "body a JSON array", body: () => [envelope({})], status: 400, message: /invalid push request/ },
  { name: "body broken JSON", body: () => '{"terminalId": ', status: 400, message: /not valid JSON/ },
  { name: "body JSON null", body: () => "null", status: 400, message: /not valid JSON|invalid push request/ },
  {
    name: "body deeply nested",
    body: () => `{"terminalId":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
    status: 400,
    message: /not valid JSON|invalid push request/,
  },
];

describe("push: a malformed request is a 4xx naming the field, and nothing changes", () => {
  it.each(requestCases)("$name", async ({ body, status, message }) => {
    const before = await dataChecksum(pg);
    const res = await jsonRequest(central.url, "POST", "/api/sync/push", till.key, body());
    expect(res.status).toBe(status);
    expect(errorOf(res).message).toMatch(message);
    expect(await dataChecksum(pg)).toEqual(before);
    await expectHealthy(central.url);
  });
});

describe("push: one poisoned change never sinks its batch (G6)", () => {
  it("applies the good changes around NUL, surrogate, int4 and megabyte-sku changes", async () => {
    const good = [change("customers", { name: "Bo" }, { syncPriority: 6 }), change("sale_orders", order({}))];
    const bad = [
      change("products", product({ name: "\u0000" })),
      change("customers", { name: "\ud800" }),
      change("products", product({ price_cents: 3e9 })),
      change("products", product({ sku: long(1_000_000) })),
      staleCustomer({ name: "A\u0000" }),
    ];
    const results = await till.push([bad[0]!, good[0]!, bad[1]!, bad[2]!, good[1]!, bad[3]!, bad[4]!]);
    expect(results.map((r) => r.status)).toEqual([
      "REJECTED",
      "APPLIED",
      "REJECTED",
      "REJECTED",
      "APPLIED",
      "REJECTED",
      "REJECTED",
    ]);
    const names = await pg.query(`SELECT name FROM customers WHERE id = $1`, [good[0]!.entityId]);
    expect(names.rows).toEqual([{ name: "Bo" }]);
    expect((await pg.query(`SELECT 1 FROM sale_orders WHERE id = $1`, [good[1]!.entityId])).rowCount).toBe(1);
  });

  it("answers the second of two changes with one changeId REJECTED in its own place, and stores the first", async () => {
    const first = change("customers", { name: "First" }, { syncPriority: 6 });
    const second = { ...first, entityId: randomUUID(), data: { name: "Second" } } as PushChange;
    const results = await till.push([first, second]);
    expect(results.map((r) => r.status)).toEqual(["APPLIED", "REJECTED"]);
    expect((results[1] as { reason: string }).reason).toMatch(/appears twice in one batch/);
    const rows = await pg.query(`SELECT name FROM customers WHERE id = ANY($1::uuid[])`, [
      [first.entityId, second.entityId],
    ]);
    expect(rows.rows).toEqual([{ name: "First" }]);
  });

  it("treats change ids in upper and lower case as one id", async () => {
    const c = change("customers", { name: "Case" }, { syncPriority: 6 });
    const upper = { ...c, changeId: c.changeId.toUpperCase() } as PushChange;
    const [a] = await till.push([c]);
    const [b] = await till.push([upper]);
    expect(a!.status).toBe("APPLIED");
    expect(b).toMatchObject({ status: "DUPLICATE", changeId: c.changeId });
  });

  it("refuses a stale change with an unknown column before judging it: no conflict is logged (its NUL never reaches the log)", async () => {
    // A back-office write moves central's version on: the till's base is stale now.
    await pg.query(`UPDATE customers SET phone = '555' WHERE id = $1`, [customerId]);
    const [r] = await till.push([staleCustomer({ till_note: "x\u0000y" })]);
    expect(r).toMatchObject({ status: "REJECTED", reason: expect.stringMatching(/unknown column till_note/) });
    const { rowCount } = await pg.query(`SELECT 1 FROM conflicts WHERE change_id = $1`, [r!.changeId]);
    expect(rowCount).toBe(0);
  });
});
