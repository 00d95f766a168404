import { randomUUID } from "node:crypto";
import { pushResponseSchema } from "@tillsync/shared";
import { fastPushAnswer } from "../src/transport/fast-push-answer";

/**
 * The fast path of central's push answer (src/transport/fast-push-answer.ts) may only ever say
 * what zod says: each answer it gives is zod's output exactly, and whatever zod refuses it
 * leaves to zod. Every field of an APPLIED result gets hostile values and broken shapes.
 */

const applied = () => ({ changeId: randomUUID(), status: "APPLIED", version: 3 });

/** The fast path either declines, or agrees with zod's output exactly. Returns whether it answered. */
function agrees(input: unknown): boolean {
  const fast = fastPushAnswer(input);
  if (fast === undefined) return false;
  const zod = pushResponseSchema.safeParse(input);
  expect(zod.success).toBe(true);
  expect(fast).toStrictEqual(zod.data);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
  return true;
}

const HOSTILE: unknown[] = [
  undefined,
  null,
  0,
  -0,
  1.5,
  2 ** 53,
  -(2 ** 53 - 1),
  Number.NaN,
  Infinity,
  "",
  "3",
  "APPLIED",
  "applied",
  "CONFLICT",
  "DUPLICATE",
  "REJECTED",
  true,
  [],
  {},
  randomUUID().toUpperCase(),
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  `${randomUUID()} `,
  randomUUID().replace(/-/g, ""),
  "01a23c2a-6286-79b4-8de8-2e0000000001",
  "01a23c2a-6286-09b4-8de8-2e0000000001",
  "01a23c2a-6286-79b4-cde8-2e0000000001",
];

it("answers the all-APPLIED answer as zod does", () => {
  expect(agrees({ results: [applied(), applied()] })).toBe(true);
  expect(agrees({ results: [] })).toBe(true);
});

it("gives every field hostile values and holds each answer to zod's", () => {
  let answered = 0;
  for (const field of ["changeId", "status", "version"])
    for (const v of HOSTILE) if (agrees({ results: [applied(), { ...applied(), [field]: v }] })) answered++;
  // Only the valid values answer: the v7 id, "APPLIED", the versions 0, -0 and -(2^53 - 1).
  expect(answered).toBe(5);
});

it("leaves broken shapes to zod", () => {
  const a = applied();
  const shapes: unknown[] = [
    null,
    [],
    { results: {} },
    { results: [a], extra: 1 },
    { results: [a, null] },
    { results: [[a]] },
    { results: [{ ...a, extra: 1 }] },
    { results: [{ status: "APPLIED", version: 1 }] },
    { results: [{ ...a, version: undefined }] },
    { results: [JSON.parse(`{"__proto__":{},"changeId":"${a.changeId}","status":"APPLIED","version":1}`)] },
    { results: [{ version: 1, status: "APPLIED", changeId: a.changeId }] },
    { results: [{ ...a, status: "DUPLICATE", original: { ...a } }] },
  ];
  for (const s of shapes) agrees(s);
  // Keys in another order: zod's output, in the schema's order.
  expect(fastPushAnswer({ results: [{ version: 1, status: "APPLIED", changeId: a.changeId }] })).toStrictEqual({
    results: [{ changeId: a.changeId, status: "APPLIED", version: 1 }],
  });
});
