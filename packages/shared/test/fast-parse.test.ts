import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { z } from "zod";
import {
  DEFAULT_SYNC_POLICY,
  fastPushRequest,
  fastRowParser,
  pushRequestSchema,
  rowSchemaOf,
  SYNC_TABLES,
  type ColumnSpec,
  type FastParse,
} from "../src/browser";

/**
 * The fast paths of the push's row and request schemas (src/fast-parse.ts) may answer only
 * what zod answers: every input they accept, zod accepts with the very same output (values
 * and key order); everything else they leave to zod. Hostile inputs — every column and field
 * given every value below, and broken shapes — go to both.
 */

/** Values that test a domain's edges, for any column or field. */
const HOSTILE: unknown[] = [
  null,
  "",
  "abc",
  "ABC",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  randomUUID().toUpperCase(),
  `g${randomUUID().slice(1)}`,
  `${randomUUID()} `,
  randomUUID().replace(/-/g, ""),
  "0c2f5a4e-1b2c-0d3e-8f40-123456789abc", // version 0
  "0c2f5a4e-1b2c-4d3e-cf40-123456789abc", // variant c
  0,
  -0,
  1,
  2,
  -1,
  10,
  11,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 53,
  true,
  false,
  [],
  [1],
  {},
  { a: 1 },
  Object.create(null),
  new Date("2026-12-01T10:00:00Z"),
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udc00",
  "\ud83d\ude00",
  "x".repeat(120),
  "x".repeat(1000),
  "x".repeat(1001),
  "\ud83d\ude00".repeat(600),
  "2026-12-01T10:00:00.000Z",
  "2026-12-01T10:00:00Z",
  "2026-12-01T10:00:00.123456789Z",
  "2026-12-01T10:00:00+01:00",
  "2026-12-01T10:00:00-23:59",
  "2026-12-01T10:00:00+24:00",
  "2026-12-01T10:00:00+0100",
  "2026-12-01T10:00:00",
  "2026-12-01T10:00",
  "2026-12-01T24:00:00Z",
  "2026-12-01T23:60:00Z",
  "2026-12-01 10:00:00Z",
  "2026-12-01",
  " 2026-12-01T10:00:00Z",
  "2026-02-29T10:00:00Z",
  "2024-02-29T10:00:00Z",
  "2100-02-29T10:00:00Z",
  "2000-02-29T10:00:00Z",
  "2026-02-30T10:00:00Z",
  "2026-04-31T10:00:00Z",
  "0000-01-01T00:00:00Z",
  "+002026-12-01T00:00:00Z",
  "1",
  "true",
  "CREATE",
  "create",
  "DELETE",
  "ONLINE",
  "OFFLINE",
  "online",
  "SaleOrder",
  "sale_orders",
  "payments",
  "products",
  "__proto__",
  ...SYNC_TABLES.flatMap((t) =>
    DEFAULT_SYNC_POLICY[t].columns.flatMap((c) =>
      c.type.kind === "enum" ? [...c.type.values, c.type.values[0]!.toLowerCase()] : [],
    ),
  ),
];

const valid = (c: ColumnSpec): unknown => {
  switch (c.type.kind) {
    case "uuid":
      return randomUUID();
    case "text":
      return "Flat white";
    case "int":
      return Math.max(c.type.min ?? 0, Math.min(1, c.type.max ?? 1));
    case "bool":
      return 1;
    case "timestamp":
      return "2026-12-01T10:00:00.000Z";
    case "enum":
      return c.type.values[0];
  }
};

/** Same values and the same keys in the same order (JSON order), recursively. */
const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b) && JSON.stringify(a) === JSON.stringify(b);

/** Runs both on `input`; fails when the fast path accepted what zod refused or answered otherwise. */
function agree<T>(fast: FastParse<T>, schema: z.ZodType, input: unknown): boolean {
  const f = fast(input);
  if (f === undefined) return false;
  const z = schema.safeParse(input);
  expect({ input, zodAccepts: z.success }).toEqual({ input, zodAccepts: true });
  expect({ input, same: same(f, z.data) }).toEqual({ input, same: true });
  return true;
}

const without = (o: Record<string, unknown>, k: string) => {
  const out = { ...o };
  delete out[k];
  return out;
};

describe("fast row parser", () => {
  it.each(SYNC_TABLES)("%s: accepts only what its zod row schema accepts, with the same row", (table) => {
    const policy = DEFAULT_SYNC_POLICY[table];
    const fast = fastRowParser(policy);
    const schema = rowSchemaOf(policy);
    const base = Object.fromEntries(policy.columns.map((c) => [c.name, valid(c)]));
    // The common row takes the fast path (else the test would pass with the fast path switched off).
    expect(agree(fast, schema, base)).toBe(true);
    expect(
      agree(fast, schema, Object.fromEntries(policy.columns.filter((c) => !c.optional).map((c) => [c.name, valid(c)]))),
    ).toBe(true);
    let fastAccepted = 0;
    let inputs = 0;
    for (const c of policy.columns) {
      for (const v of HOSTILE) {
        inputs++;
        if (agree(fast, schema, { ...base, [c.name]: v })) fastAccepted++;
      }
      inputs += 2;
      agree(fast, schema, without(base, c.name));
      agree(fast, schema, { ...base, [c.name]: undefined });
    }
    for (const odd of [null, [], "row", 5, JSON.parse(`{"__proto__": {"id": 1}, "id": "${randomUUID()}"}`) as unknown])
      agree(fast, schema, odd);
    agree(fast, schema, { ...base, extra: "dropped by both" });
    expect(fastAccepted).toBeGreaterThan(0);
    expect(fastAccepted).toBeLessThan(inputs);
  });
});

describe("fast push request parser", () => {
  const change = (): Record<string, unknown> => ({
    changeId: randomUUID(),
    entityType: "sale_orders",
    entityId: randomUUID(),
    operation: "CREATE",
    data: { id: randomUUID(), total_cents: 100 },
    baseData: null,
    baseVersion: null,
    syncPriority: 9,
    createdInMode: "ONLINE",
    createdAt: "2026-12-01T10:00:00.000Z",
  });
  const request = (...changes: unknown[]) => ({ terminalId: randomUUID(), changes });

  it("accepts only what pushRequestSchema accepts, with the same request", () => {
    expect(agree(fastPushRequest, pushRequestSchema, request(change(), without(change(), "baseData")))).toBe(true);
    expect(
      agree(fastPushRequest, pushRequestSchema, request({ ...change(), baseVersion: 3, baseData: { a: [1] } })),
    ).toBe(true);
    let fastAccepted = 0;
    for (const field of Object.keys(change())) {
      for (const v of HOSTILE)
        if (agree(fastPushRequest, pushRequestSchema, request({ ...change(), [field]: v }))) fastAccepted++;
      agree(fastPushRequest, pushRequestSchema, request(without(change(), field)));
      agree(fastPushRequest, pushRequestSchema, request({ ...change(), [field]: undefined }));
    }
    expect(fastAccepted).toBeGreaterThan(0);
    for (const v of HOSTILE) agree(fastPushRequest, pushRequestSchema, { terminalId: v, changes: [change()] });
    for (const v of HOSTILE) agree(fastPushRequest, pushRequestSchema, { terminalId: randomUUID(), changes: v });
    const odd: unknown[] = [
      null,
      [],
      "push",
      { terminalId: randomUUID() },
      { changes: [change()] },
      { ...request(change()), extra: 1 },
      request(),
      request(...Array.from({ length: 1001 }, change)),
      request(...Array.from({ length: 1000 }, change)),
      { terminalId: randomUUID(), changes: [change(), , change()] }, // a hole
      request({ ...change(), extra: 1 }),
      request({ ...change(), data: { a: undefined } }),
      request({ ...change(), data: JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as unknown }),
      request({ ...change(), baseData: JSON.parse('{"__proto__": 1}') as unknown }),
      request({ ...change(), data: new Date() }),
      request({ ...change(), data: Object.create(null) as unknown }),
      JSON.parse(JSON.stringify(request(change()))) as unknown,
    ];
    for (const o of odd) agree(fastPushRequest, pushRequestSchema, o);
  });
});
