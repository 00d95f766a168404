import { randomUUID } from "node:crypto";
import { DEFAULT_SYNC_POLICY } from "@tillsync/shared";
import { arrayLiteral } from "../src/store/array-literal";
import { syncedTables } from "../src/store/synced-tables";
import { useTestCentral } from "../testing";

/**
 * The push's array parameters are array literals central builds itself (store/array-literal.ts)
 * and columns holding one value in every row are one scalar (store/synced-table-sql.ts): what
 * PostgreSQL reads back must be exactly the values given, whatever they hold.
 */
const { central, pg } = useTestCentral("array_literal");

const HOSTILE = [
  "",
  "NULL",
  "null",
  "Null",
  "a,b",
  "{x}",
  "}",
  '"quoted"',
  "back\\slash",
  '\\"',
  " lead",
  "trail ",
  "in side",
  "tab\there",
  "new\nline",
  "ünïcödé",
  "1e+21",
  "a=b;c",
  "'single'",
];

async function readBack(literal: unknown, type: string): Promise<unknown[]> {
  const { rows } = await pg.query<{ a: unknown[] }>(`SELECT $1::${type} AS a`, [literal]);
  return rows[0]!.a;
}

describe("array literals built for PostgreSQL", () => {
  it("text: every element, hostile or not, and nulls come back as given, one element each", async () => {
    const values = [...HOSTILE, null, "plain", ...HOSTILE.map((s) => `x${s}y`)];
    const literal = arrayLiteral(values);
    expect(typeof literal).toBe("string");
    expect(await readBack(literal, "text[]")).toEqual(values);
  });

  it("uuids, integers, booleans and timestamps come back as given", async () => {
    const ids = [randomUUID(), null, randomUUID().toUpperCase()];
    expect(await readBack(arrayLiteral(ids), "uuid[]")).toEqual(ids.map((i) => i && i.toLowerCase()));
    const ints = [0, -1, 2147483647, -2147483648, null, 42];
    expect(await readBack(arrayLiteral(ints), "int4[]")).toEqual(ints);
    expect(await readBack(arrayLiteral([true, false, null]), "bool[]")).toEqual([true, false, null]);
    const at = ["2026-12-04T19:04:19.123Z", "2026-12-04T20:04:19.123+01:00", null];
    const back = (await readBack(arrayLiteral(at), "timestamptz[]")) as Array<Date | null>;
    expect(back.map((d) => d && d.toISOString())).toEqual([
      "2026-12-04T19:04:19.123Z",
      "2026-12-04T19:04:19.123Z",
      null,
    ]);
  });

  it("leaves an array holding a value of another kind to pg", async () => {
    const values = ["a", new Date("2026-12-04T00:00:00Z"), Number.NaN];
    expect(arrayLiteral(values)).toBe(values);
    expect(arrayLiteral([1, Number.POSITIVE_INFINITY])).toEqual([1, Number.POSITIVE_INFINITY]);
  });
});

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
