import { randomUUID } from "node:crypto";
import type { PushChange } from "@tillsync/shared";
import { change, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";
import { dataChecksum, expectHealthy } from "./support/hostile";

/**
 * Row ownership at push (G8), with three terminals in two stores: A1 and A2 in store A, B1 in
 * store B. Each terminal writes only rows it owns, decided from the row central already holds:
 * its own orders, their lines and payments, its own store's adjustments. A refused change
 * changes nothing (no row, no feed entry, no applied_changes record), is logged at warn with
 * both terminal ids and counted in /metrics.
 */
const logLines: string[] = [];
const { central, pg } = useTestCentral(
  "ownership",
  { LOG_LEVEL: "warn" },
  { logDestination: { write: (line) => void logLines.push(line) } },
);

let A1: TerminalClient;
let A2: TerminalClient;
let B1: TerminalClient;
let storeA: string;
let storeB: string;
const productId = randomUUID();
const OA = randomUUID(); // A1's order
const LA = randomUUID(); // its line
const PA = randomUUID(); // its payment
const JA = randomUUID(); // A1's stock adjustment
const OB = randomUUID(); // B1's order
const OC = randomUUID(); // an order written at central (psql), no terminal

const client = async (storeId?: string) => {
  const t = await central.provisionTerminal(storeId ? { storeId } : {});
  return { till: new TerminalClient(central.url, t.terminalId, t.key), storeId: t.storeId };
};

beforeAll(async () => {
  const a1 = await client();
  storeA = a1.storeId;
  A1 = a1.till;
  A2 = (await client(storeA)).till;
  const b1 = await client();
  storeB = b1.storeId;
  B1 = b1.till;
  await central.admin("POST", "/api/products", { id: productId, sku: "OWN-1", name: "Bread", priceCents: 300 });
  const a = await A1.push([
    change("sale_orders", { id: OA, store_id: storeA, status: "COMPLETED", total_cents: 300 }),
    change("sale_order_lines", line(OA, LA)),
    change("payments", { id: PA, order_id: OA, method: "CARD", amount_cents: 300 }),
    change("inventory_adjustments", { id: JA, store_id: storeA, product_id: productId, delta: -1, reason: "SALE" }),
  ]);
  expect(a.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "APPLIED", "APPLIED"]);
  const b = await B1.push([change("sale_orders", { id: OB, store_id: storeB, status: "PENDING" })]);
  expect(b[0]!.status).toBe("APPLIED");
  await pg.query(`INSERT INTO sale_orders (id, store_id, status) VALUES ($1, $2, 'PENDING')`, [OC, storeA]);
});

function line(orderId: string, id = randomUUID()) {
  return { id, order_id: orderId, product_id: productId, quantity: 1, unit_price_cents: 300, line_total_cents: 300 };
}

const update = (t: PushChange["entityType"], row: Record<string, unknown>) =>
  change(t, row, { operation: "UPDATE", baseVersion: 1 });
const remove = (t: PushChange["entityType"], id: string) =>
  change(t, null, { entityId: id, operation: "DELETE", baseVersion: 1 });

interface Hijack {
  name: string;
  who: () => TerminalClient;
  changes: () => PushChange[];
  reason: () => RegExp;
}

const ofA1 = () => new RegExp(`belongs to terminal ${A1.terminalId} of store ${storeA}`);
const underA1 = () => new RegExp(`which belongs to terminal ${A1.terminalId}`);
const hijacks: Hijack[] = [
  {
    name: "B1 (other store) UPDATEs A1's order",
    who: () => B1,
    changes: () => [update("sale_orders", { id: OA, store_id: storeB, status: "VOIDED" })],
    reason: ofA1,
  },
  { name: "B1 DELETEs A1's order", who: () => B1, changes: () => [remove("sale_orders", OA)], reason: ofA1 },
  {
    name: "B1 re-CREATEs A1's order under the same id",
    who: () => B1,
    changes: () => [change("sale_orders", { id: OA, store_id: storeB })],
    reason: ofA1,
  },
  {
    name: "A2 (same store) UPDATEs A1's order",
    who: () => A2,
    changes: () => [update("sale_orders", { id: OA, store_id: storeA, total_cents: 1 })],
    reason: ofA1,
  },
  { name: "A2 DELETEs A1's order", who: () => A2, changes: () => [remove("sale_orders", OA)], reason: ofA1 },
  {
    name: "A2 re-CREATEs A1's order under the same id",
    who: () => A2,
    changes: () => [change("sale_orders", { id: OA, store_id: storeA })],
    reason: ofA1,
  },
  {
    name: "A2 attaches a line to A1's order",
    who: () => A2,
    changes: () => [change("sale_order_lines", line(OA))],
    reason: underA1,
  },
  {
    name: "A2 attaches a payment to A1's order",
    who: () => A2,
    changes: () => [change("payments", { order_id: OA, method: "CASH", amount_cents: 1 })],
    reason: underA1,
  },
  {
    name: "B1 attaches a payment to A1's order",
    who: () => B1,
    changes: () => [change("payments", { order_id: OA, method: "CASH", amount_cents: 1 })],
    reason: underA1,
  },
  {
    name: "B1 moves A1's line under its own order",
    who: () => B1,
    changes: () => [update("sale_order_lines", line(OB, LA))],
    reason: underA1,
  },
  {
    name: "A2 UPDATEs A1's line in place",
    who: () => A2,
    changes: () => [update("sale_order_lines", { ...line(OA, LA), quantity: 9 })],
    reason: underA1,
  },
  { name: "B1 DELETEs A1's line", who: () => B1, changes: () => [remove("sale_order_lines", LA)], reason: underA1 },
  { name: "A2 DELETEs A1's payment", who: () => A2, changes: () => [remove("payments", PA)], reason: underA1 },
  {
    name: "B1 re-CREATEs A1's payment under its own order",
    who: () => B1,
    changes: () => [change("payments", { id: PA, order_id: OB, method: "CASH", amount_cents: 1 })],
    reason: underA1,
  },
  {
    name: "B1 re-sends A1's adjustment id for its own store",
    who: () => B1,
    changes: () => [
      change("inventory_adjustments", {
        id: JA,
        store_id: storeB,
        product_id: productId,
        delta: 50,
        reason: "RECEIVE",
      }),
    ],
    reason: ofA1,
  },
  {
    name: "A2 re-sends A1's adjustment id",
    who: () => A2,
    changes: () => [
      change("inventory_adjustments", {
        id: JA,
        store_id: storeA,
        product_id: productId,
        delta: 50,
        reason: "RECEIVE",
      }),
    ],
    reason: ofA1,
  },
  {
    name: "B1 adjusts store A's stock",
    who: () => B1,
    changes: () => [
      change("inventory_adjustments", { store_id: storeA, product_id: productId, delta: 50, reason: "RECEIVE" }),
    ],
    reason: () => /belongs to store .*, not .* \(store_id\)/,
  },
  {
    name: "A1 moves its own order to store B",
    who: () => A1,
    changes: () => [update("sale_orders", { id: OA, store_id: storeB })],
    reason: () => /belongs to store .*, not .* \(store_id\)/,
  },
  {
    name: "A1 hands its own order to A2",
    who: () => A1,
    changes: () => [update("sale_orders", { id: OA, store_id: storeA, terminal_id: A2.terminalId })],
    reason: () => /cannot write rows of terminal .* \(terminal_id\)/,
  },
  {
    name: "A1 UPDATEs an order written at central",
    who: () => A1,
    changes: () => [update("sale_orders", { id: OC, store_id: storeA })],
    reason: () => /belongs to central \(no terminal wrote it; store/,
  },
  {
    name: "A1 attaches a line to an order written at central",
    who: () => A1,
    changes: () => [change("sale_order_lines", line(OC))],
    reason: () => /belongs to central/,
  },
  {
    name: "B1 re-creates A1's order and adds a line under it in one batch",
    who: () => B1,
    changes: () => [change("sale_orders", { id: OA, store_id: storeB }), change("sale_order_lines", line(OA))],
    reason: () => new RegExp(`${ofA1().source}|${underA1().source}`),
  },
  {
    name: "A1 writes central's stock row",
    who: () => A1,
    changes: () => [change("inventory_items", { store_id: storeA, product_id: productId, quantity: 999 })],
    reason: () => /owned by central/,
  },
  {
    name: "A1 writes a category",
    who: () => A1,
    changes: () => [change("categories", { name: "Free" })],
    reason: () => /owned by central/,
  },
];

describe("row ownership at push (G8): three terminals, two stores", () => {
  it.each(hijacks)("$name: REJECTED naming the owner, nothing changes", async ({ who, changes, reason }) => {
    const before = await dataChecksum(pg);
    const results = await who().push(changes());
    for (const r of results) {
      expect(r).toMatchObject({ status: "REJECTED", retryable: false });
      expect((r as { reason: string }).reason).toMatch(reason());
    }
    expect(await dataChecksum(pg)).toEqual(before);
    await expectHealthy(central.url);
  });

  it("lets each terminal write its own rows: A1 its order, B1 a line under an order created earlier in the batch", async () => {
    const mine = await A1.push([
      update("sale_orders", { id: OA, store_id: storeA, status: "COMPLETED", total_cents: 310 }),
    ]);
    expect(mine[0]!.status).toBe("APPLIED");
    const order = randomUUID();
    const batch = await B1.push([
      change("sale_orders", { id: order, store_id: storeB, status: "COMPLETED" }),
      change("sale_order_lines", line(order)),
      change("payments", { order_id: order, method: "CASH", amount_cents: 300 }),
    ]);
    expect(batch.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "APPLIED"]);
    const a2 = await A2.push([
      change("inventory_adjustments", { store_id: storeA, product_id: productId, delta: -2, reason: "SALE" }),
    ]);
    expect(a2[0]!.status).toBe("APPLIED");
  });

  it("takes a parent written earlier in the batch as the terminal's own, never one the batch was refused", async () => {
    const before = await dataChecksum(pg);
    const [order, under] = await B1.push([
      update("sale_orders", { id: OA, store_id: storeB, status: "VOIDED", total_cents: 0 }),
      change("sale_order_lines", line(OA)),
    ]);
    expect(order).toMatchObject({ status: "REJECTED", retryable: false });
    expect(under).toMatchObject({ status: "REJECTED", retryable: false });
    expect((under as { reason: string }).reason).toMatch(underA1());
    expect(await dataChecksum(pg)).toEqual(before);
  });

  it("lets any terminal change shared rows (customers) as the policy's direction says", async () => {
    const customer = randomUUID();
    expect((await A1.push([change("customers", { id: customer, name: "Cy" })]))[0]!.status).toBe("APPLIED");
    expect((await B1.push([update("customers", { id: customer, name: "Cy B" })]))[0]!.status).toMatch(
      /APPLIED|CONFLICT/,
    );
  });

  it("never records a refused change: sent again by its owner under the same change id, it is judged afresh", async () => {
    const hijack = change("sale_orders", { id: OB, store_id: storeA }, { operation: "UPDATE", baseVersion: 1 });
    expect((await A2.push([hijack]))[0]!.status).toBe("REJECTED");
    const { rowCount } = await pg.query(`SELECT 1 FROM applied_changes WHERE change_id = $1`, [hijack.changeId]);
    expect(rowCount).toBe(0);
  });

  it("logs each refusal at warn with both terminal ids, and counts it in /metrics by rule", async () => {
    const refusals = logLines
      .map((l) => JSON.parse(l) as { level: number; msg: string; terminalId?: string; ownerTerminalId?: string })
      .filter((l) => l.msg.startsWith("push refused"));
    expect(refusals.length).toBeGreaterThanOrEqual(15);
    expect(refusals.every((l) => l.level === 40)).toBe(true);
    expect(refusals).toContainEqual(
      expect.objectContaining({ terminalId: B1.terminalId, ownerTerminalId: A1.terminalId }),
    );
    expect(refusals).toContainEqual(
      expect.objectContaining({ terminalId: A2.terminalId, ownerTerminalId: A1.terminalId }),
    );
    const metrics = await (await fetch(`${central.url}/metrics`)).text();
    expect(metrics).toMatch(/tillsync_push_refusals_total\{reason="foreign_row",table="sale_orders"\} [1-9]/);
    expect(metrics).toMatch(/tillsync_push_refusals_total\{reason="foreign_parent",table="payments"\} [1-9]/);
  });
});
