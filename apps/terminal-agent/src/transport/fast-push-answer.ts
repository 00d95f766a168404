import type { PushResponse, PushResult } from "@tillsync/shared";

/**
 * The fast accepting path of `pushResponseSchema` for the answer nearly every push gets: every
 * change APPLIED (issue 15: zod took ~2 ms of the agent's CPU per answer of 1,000). It accepts
 * only what zod accepts and returns what zod returns (new objects, the schema's key order);
 * anything else (another status, an extra or missing key, an upper-case id) is left to zod,
 * whose verdict stands (undefined here). Checking the answer against the batch sent
 * (checkPushAnswer) is not this: it runs on either path's result.
 */

/** zod's uuid pattern, lower case only: then its toLowerCase leaves the id as it is. */
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A plain object from JSON: no array, no class instance, no own `__proto__` key. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && !Object.prototype.hasOwnProperty.call(v, "__proto__");
}

export function fastPushAnswer(input: unknown): PushResponse | undefined {
  if (!isPlainObject(input)) return undefined;
  const keys = Object.keys(input);
  if (keys.length !== 1 || keys[0] !== "results" || !Array.isArray(input.results)) return undefined;
  const results = input.results as unknown[];
  const out = new Array<PushResult>(results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (!isPlainObject(r)) return undefined;
    const k = Object.keys(r);
    if (k.length !== 3 || !("changeId" in r) || !("status" in r) || !("version" in r)) return undefined;
    const { changeId, status, version } = r;
    if (status !== "APPLIED" || typeof changeId !== "string" || !LOWER_UUID.test(changeId)) return undefined;
    if (typeof version !== "number" || !Number.isSafeInteger(version)) return undefined;
    out[i] = { changeId, status, version } as PushResult;
  }
  return { results: out };
}
