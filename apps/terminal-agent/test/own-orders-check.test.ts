import { randomUUID } from "node:crypto";
import { DEFAULT_SYNC_POLICY, ProtocolMismatchError } from "@tillsync/shared";
import { checkOwnOrdersPage } from "../src/transport/answer-checks";

/** The agent believes a page of its own orders only if it can be true (it stores them on its word). */
describe("checking central's page of this terminal's own orders", () => {
  const me = randomUUID();
  const order = (terminal = me) => ({
    id: randomUUID(),
    terminal_id: terminal,
    store_id: randomUUID(),
    status: "COMPLETED",
    total_cents: 100,
    created_in_mode: "ONLINE",
    created_at: new Date().toISOString(),
    completed_at: null,
    customer_id: null,
    version: 1,
  });
  const line = (orderId: string) => ({
    id: randomUUID(),
    order_id: orderId,
    product_id: randomUUID(),
    quantity: 1,
    unit_price_cents: 100,
    line_total_cents: 100,
    version: 1,
  });
  const check = (page: { orders: unknown[]; lines?: unknown[]; payments?: unknown[] }) => () =>
    checkOwnOrdersPage(DEFAULT_SYNC_POLICY, me, {
      orders: page.orders as Array<Record<string, unknown>>,
      lines: (page.lines ?? []) as Array<Record<string, unknown>>,
      payments: (page.payments ?? []) as Array<Record<string, unknown>>,
      nextCursor: null,
    });

  it("accepts its own orders with their lines", () => {
    const o = order();
    expect(check({ orders: [o], lines: [line(o.id)] })).not.toThrow();
  });

  it("refuses another terminal's order, a line of an order not sent, and an invalid row", () => {
    expect(check({ orders: [order(randomUUID())] })).toThrow(ProtocolMismatchError);
    expect(check({ orders: [order()], lines: [line(randomUUID())] })).toThrow(/of an order it did not send/);
    expect(check({ orders: [{ ...order(), total_cents: -5 }] })).toThrow(/not a valid row/);
  });
});
