import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { fastHeartbeatRequest, heartbeatRequestSchema } from "../src/browser";

/**
 * The heartbeat's fast path (src/fast-heartbeat.ts) may answer only what zod answers: every
 * input it accepts, zod accepts with the very same output (values and key order); everything
 * else it leaves to zod. Each field, and each field of its parts, is given every value below.
 */
const HOSTILE: unknown[] = [
  undefined,
  null,
  "",
  "idle",
  "open",
  "ok",
  "IDLE",
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
  true,
  [],
  [1],
  {},
  { pending: 1 },
  Object.create(null),
  "x".repeat(2000),
  "x".repeat(2001),
  "2026-12-01T10:00:00.000Z",
  "2026-12-01T10:00:00+01:00",
  "2026-12-01T10:00:00",
  "2026-02-30T10:00:00Z",
];

const counts = { pending: 2, failed: 0, synced: 40, conflicts: 0 };
/** What an agent sends: a healthy till, and the bench's shorter body. */
const HEALTHY = {
  terminalId: randomUUID(),
  status: "idle",
  outbox: { sale_orders: counts, payments: { pending: 0, failed: 1, synced: 3, conflicts: 2 } },
  lastError: null,
  failedChanges: [],
  storage: { condition: "ok", since: null, error: null, freeBytes: 123_456_789 },
  circuit: "closed",
  lastSyncAt: "2026-12-02T02:00:00.123Z",
};
const BENCH = { terminalId: randomUUID(), status: "idle", outbox: { sale_orders: counts } };

/** The fast answer, held to zod's. */
function check(input: unknown): unknown {
  const fast = fastHeartbeatRequest(input);
  if (fast === undefined) return undefined;
  const slow = heartbeatRequestSchema.safeParse(input);
  if (!slow.success) throw new Error(`fast path accepted what zod refuses: ${JSON.stringify(input)}`);
  if (!isDeepStrictEqual(fast, slow.data) || JSON.stringify(fast) !== JSON.stringify(slow.data))
    throw new Error(`fast ${JSON.stringify(fast)} ≠ zod ${JSON.stringify(slow.data)}`);
  return fast;
}

function withField(base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out = { ...base };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}

describe("fast heartbeat parse", () => {
  it("takes a healthy till's heartbeat and the bench's, answering exactly what zod does", () => {
    expect(check(HEALTHY)).toBeDefined();
    expect(check(BENCH)).toBeDefined();
    expect(check({ ...HEALTHY, lastSyncAt: null, circuit: "half-open", status: "backing-off" })).toBeDefined();
    expect(
      check({ ...HEALTHY, storage: { condition: "full", since: null, error: "ENOSPC", freeBytes: 0 } }),
    ).toBeDefined();
    expect(check({ ...BENCH, outbox: {} })).toBeDefined();
  });

  it("gives every field every hostile value and holds each answer to zod's", () => {
    let taken = 0;
    for (const base of [HEALTHY, BENCH] as Array<Record<string, unknown>>) {
      for (const key of [...Object.keys(HEALTHY), "extra", "__proto__"])
        for (const v of HOSTILE) if (check(withField(base, key, v)) !== undefined) taken++;
      for (const part of ["storage"] as const)
        for (const key of [...Object.keys(HEALTHY.storage), "extra"])
          for (const v of HOSTILE) if (check({ ...base, [part]: withField(HEALTHY.storage, key, v) })) taken++;
      for (const key of [...Object.keys(counts), "extra"])
        for (const v of HOSTILE) if (check({ ...base, outbox: { sale_orders: withField(counts, key, v) } })) taken++;
      for (const table of ["sale_orders", "SALE_ORDERS", "nope", "__proto__", "toString"])
        for (const v of [...HOSTILE, counts]) if (check({ ...base, outbox: { [table]: v } })) taken++;
    }
    for (const v of HOSTILE) check(v);
    check(JSON.parse(`{"terminalId":"${randomUUID()}","status":"idle","outbox":{},"__proto__":{"x":1}}`));
    expect(taken).toBeGreaterThan(20);
  });
});
