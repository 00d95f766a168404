import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { fastPullAnswer, syncPullAnswerSchema } from "../src/browser";

/**
 * The pull answer's fast path (src/fast-pull-answer.ts) may answer only what zod answers: every
 * input it accepts, zod accepts with the very same output (values and key order); everything
 * else it leaves to zod. Each field of the answer, its page and a change is given every value below.
 */
const HOSTILE: unknown[] = [
  undefined,
  null,
  "",
  "0",
  "7",
  "-1",
  "01",
  "9223372036854775807",
  "9223372036854775808",
  "99999999999999999999",
  " 7",
  "UPSERT",
  "DELETE",
  "upsert",
  "products",
  "PRODUCTS",
  "Product",
  "sale_orders",
  "__proto__",
  randomUUID(),
  randomUUID().toUpperCase(),
  "00000000-0000-0000-0000-000000000000",
  "0c2f5a4e-1b2c-0d3e-8f40-123456789abc",
  0,
  -0,
  1,
  -1,
  1.5,
  NaN,
  Infinity,
  2 ** 53,
  2 ** 53 - 1,
  true,
  false,
  [],
  [1],
  {},
  { price_cents: 100 },
  Object.create(null),
];

const CHANGE = {
  entityType: "products",
  entityId: randomUUID(),
  operation: "UPSERT",
  data: { id: "x", sku: "P", name: "p", price_cents: 101, active: true },
  version: 3,
};
const PAGE = { changes: [CHANGE], nextCursor: "42", hasMore: false, epoch: randomUUID() };
const ANSWER = { ok: true, page: PAGE };

/** The fast answer, held to zod's. */
function check(input: unknown): unknown {
  const fast = fastPullAnswer(input);
  if (fast === undefined) return undefined;
  const slow = syncPullAnswerSchema.safeParse(input);
  if (!slow.success) throw new Error(`fast path accepted what zod refuses: ${JSON.stringify(input)}`);
  if (!isDeepStrictEqual(fast, slow.data) || JSON.stringify(fast) !== JSON.stringify(slow.data))
    throw new Error(`fast ${JSON.stringify(fast)} ≠ zod ${JSON.stringify(slow.data)}`);
  return fast;
}

function withField(base: object, key: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}

describe("fast pull answer parse", () => {
  it("takes a page as central answers it, answering exactly what zod does", () => {
    expect(check(ANSWER)).toBeDefined();
    expect(check({ ok: true, page: { changes: [], nextCursor: "0", hasMore: false } })).toBeDefined();
    expect(
      check({
        ok: true,
        page: {
          ...PAGE,
          hasMore: true,
          changes: [CHANGE, { ...CHANGE, operation: "DELETE", data: null, version: null }],
        },
      }),
    ).toBeDefined();
    // What the agent receives over the socket: JSON.
    expect(check(JSON.parse(JSON.stringify(ANSWER)))).toBeDefined();
  });

  it("leaves every other answer to zod: an error, a refusal, a malformed page", () => {
    expect(fastPullAnswer({ ok: false, reason: "off" })).toBeUndefined();
    expect(fastPullAnswer({ ok: false, error: { code: "X", message: "m", retryable: false } })).toBeUndefined();
    expect(fastPullAnswer({ ...ANSWER, extra: 1 })).toBeUndefined();
    expect(fastPullAnswer({ ok: true, page: { ...PAGE, changes: [{ ...CHANGE, entityId: "nope" }] } })).toBeUndefined();
  });

  it("gives every field every hostile value and holds each answer to zod's", () => {
    let taken = 0;
    for (const key of ["ok", "page", "extra", "__proto__"])
      for (const v of HOSTILE) if (check(withField(ANSWER, key, v)) !== undefined) taken++;
    for (const key of [...Object.keys(PAGE), "extra", "__proto__"])
      for (const v of [...HOSTILE, [CHANGE]])
        if (check({ ok: true, page: withField(PAGE, key, v) }) !== undefined) taken++;
    for (const key of [...Object.keys(CHANGE), "extra", "__proto__"])
      for (const v of HOSTILE)
        if (check({ ok: true, page: { ...PAGE, changes: [withField(CHANGE, key, v)] } }) !== undefined) taken++;
    for (const v of HOSTILE) {
      check(v);
      check({ ok: true, page: { ...PAGE, changes: [v] } });
      check({ ok: true, page: { ...PAGE, changes: [CHANGE, v] } });
      if (v && typeof v === "object")
        check({ ok: true, page: { ...PAGE, changes: [{ ...CHANGE, data: { ...CHANGE.data, extra: v } }] } });
    }
    check(JSON.parse(`{"ok":true,"page":{"changes":[],"nextCursor":"1","hasMore":false,"__proto__":{"x":1}}}`));
    check(
      JSON.parse(
        `{"ok":true,"page":{"changes":[{"entityType":"products","entityId":"${CHANGE.entityId}","operation":"UPSERT","data":{"__proto__":{"a":1}},"version":1}],"nextCursor":"1","hasMore":false}}`,
      ),
    );
    expect(taken).toBeGreaterThan(20);
  });
});
