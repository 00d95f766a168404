import { randomUUID } from "node:crypto";
import { DEFAULT_SYNC_POLICY } from "@tillsync/shared";
import { syncedTables } from "../src/store/synced-tables";
import { useTestCentral } from "../testing";

/**
 * The synced tables written set-based against PostgreSQL (store/synced-tables.ts): columns
 * holding one value in every row go as one scalar, rows carrying different columns in
 * separate statements, and the insert-first and append statements answer in one row which
 * rows they wrote (WrittenRows). What lands must be exactly the rows given.
 */
const { central, pg } = useTestCentral("synced_tables");

describe("rows written through unnest with columns that hold one value", () => {
  const orders = DEFAULT_SYNC_POLICY.sale_orders;
  let storeId: string;
  let terminalId: string;

  beforeAll(async () => {
    const t = await central.provisionTerminal();
    storeId = t.storeId;
    terminalId = t.terminalId;
  });

  const read = async (ids: string[]) =>
    (
      await pg.query(
        `SELECT id, terminal_id, store_id, customer_id, status::text, total_cents, created_in_mode::text
           FROM sale_orders WHERE id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], id)`,
        [ids],
      )
    ).rows;

  it("a group with one store, one terminal and one status, others varying, lands row for row", async () => {
    const rows = [0, 1, 2, 3].map((i) => ({
      id: randomUUID(),
      terminal_id: terminalId,
      store_id: storeId,
      customer_id: i % 2 ? randomUUID() : null,
      status: "COMPLETED",
      total_cents: i * 100,
      created_in_mode: "OFFLINE",
    }));
    const versions = await syncedTables(pg).insertRows(orders, rows);
    expect([...versions.keys()].sort()).toEqual(rows.map((r) => r.id).sort());
    expect(await read(rows.map((r) => r.id))).toEqual(rows);
  });

  it("every column but the id one value, and a single row", async () => {
    const same = { terminal_id: terminalId, store_id: storeId, customer_id: null, status: "PENDING", total_cents: 7 };
    const rows = [
      { id: randomUUID(), ...same },
      { id: randomUUID(), ...same },
    ];
    await syncedTables(pg).upsertRows(orders, rows, "terminal");
    const one = [{ id: randomUUID(), ...same, total_cents: 8 }];
    await syncedTables(pg).upsertRows(orders, one, "terminal");
    const back = await read([...rows, ...one].map((r) => r.id));
    expect(back).toEqual([...rows, ...one].map((r) => ({ ...r, created_in_mode: "ONLINE" })));
  });

  it("rows carrying different columns go in separate statements, so an absent column takes its default", async () => {
    const base = { terminal_id: terminalId, store_id: storeId };
    const rows = [
      { id: randomUUID(), ...base, status: "COMPLETED", total_cents: 5 },
      { id: randomUUID(), ...base },
      { id: randomUUID(), ...base, total_cents: 6, status: "VOIDED" },
      { id: randomUUID(), ...base, customer_id: undefined, version: 9 },
    ];
    await syncedTables(pg).insertRows(orders, rows);
    const back = await read(rows.map((r) => r.id));
    expect(back.map((r) => [r.status, r.total_cents])).toEqual([
      ["COMPLETED", 5],
      ["PENDING", 0],
      ["VOIDED", 6],
      ["PENDING", 0],
    ]);
    await expect(syncedTables(pg).insertRows(orders, [{ id: randomUUID(), ...base, colour: "red" }])).rejects.toThrow(
      /sale_orders has no column colour/,
    );
  });
});

describe("the one-row answer of the insert-first and append statements", () => {
  const orders = DEFAULT_SYNC_POLICY.sale_orders;
  const adjustments = DEFAULT_SYNC_POLICY.inventory_adjustments;
  const stock = DEFAULT_SYNC_POLICY.inventory_items;
  let storeId: string;
  const productId = randomUUID();

  beforeAll(async () => {
    storeId = (await central.provisionTerminal()).storeId;
    await central.admin("POST", "/api/products", { id: productId, sku: "ANSWER", name: "Tea", priceCents: 250 });
  });

  const order = () => ({ id: randomUUID(), store_id: storeId, status: "COMPLETED" });

  it("all new: every row at version 1; some held: only the new ones; none new: nothing", async () => {
    const t = syncedTables(pg);
    const first = [order(), order(), order()];
    expect(await t.insertRows(orders, first)).toEqual(new Map(first.map((r) => [r.id, 1])));
    await pg.query(`UPDATE sale_orders SET version = 5 WHERE id = $1`, [first[1]!.id]);
    const fresh = [order(), order()];
    const mixed = [first[0]!, fresh[0]!, first[1]!, fresh[1]!];
    expect(await t.insertRows(orders, mixed)).toEqual(new Map(fresh.map((r) => [r.id, 1])));
    expect(await t.insertRows(orders, first)).toEqual(new Map());
  });

  it("appends count each new delta once and answer only the rows appended", async () => {
    const t = syncedTables(pg);
    const adj = (delta: number) => ({
      id: randomUUID(),
      store_id: storeId,
      product_id: productId,
      delta,
      reason: "SALE",
    });
    const quantity = async () =>
      (
        await pg.query<{ quantity: number }>(
          `SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2`,
          [storeId, productId],
        )
      ).rows[0]?.quantity;
    const a = [adj(-1), adj(-2)];
    expect(await t.appendRows(adjustments, stock, a)).toEqual(new Map(a.map((r) => [r.id, 1])));
    expect(await quantity()).toBe(-3);
    const b = adj(-4);
    expect(await t.appendRows(adjustments, stock, [a[0]!, b, a[1]!])).toEqual(new Map([[b.id, 1]]));
    expect(await t.appendRows(adjustments, stock, a)).toEqual(new Map());
    expect(await quantity()).toBe(-7);
  });
});
