import { randomUUID } from "node:crypto";
import { arrayLiteral } from "../src/store/array-literal";
import { useTestCentral } from "../testing";

/**
 * The push's array parameters are array literals central builds itself (store/array-literal.ts):
 * what PostgreSQL reads back must be exactly the values given, whatever they hold.
 */
const { pg } = useTestCentral("array_literal");

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
