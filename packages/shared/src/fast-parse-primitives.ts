import type { z } from "zod";

/**
 * The checks every fast accepting parser shares (fast-parse.ts for pushes, fast-heartbeat.ts for
 * heartbeats): each mirrors what the zod schema accepts, so a fast answer is zod's answer.
 */

/**
 * A UUID in the lower-case spelling zod's uuid pattern accepts (versions 1–8, RFC variant), so
 * the schemas' toLowerCase leaves it as it is. Upper case, nil and max UUIDs go to zod.
 */
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const isLowerUuid = (v: unknown): v is string => typeof v === "string" && LOWER_UUID.test(v);

/** zod's own pattern of a string format schema (its ISO timestamps), so the test is the very same. */
export function patternOf(schema: z.ZodType): RegExp | undefined {
  const def = (schema as unknown as { _zod?: { def?: { pattern?: unknown } } })._zod?.def;
  return def?.pattern instanceof RegExp ? def.pattern : undefined;
}

/** A plain object from JSON: no array, no class instance, no own `__proto__` key (zod drops it). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && !Object.prototype.hasOwnProperty.call(v, "__proto__");
}

/** `z.record(z.string(), z.unknown())`: a copy of a plain object's own keys (no undefined values). */
export function record(v: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    if (v[k] === undefined) return undefined;
    out[k] = v[k];
  }
  return out;
}
