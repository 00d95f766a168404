import { z } from "zod";
import { INT4_MAX, intRange, textMax, type ColumnSpec } from "./policy-columns";
import { isoTimestampSchema } from "./protocol/common";
import { MAX_PUSH_BATCH, type PushChange, type PushRequest } from "./protocol/push";
import { isRealDate, LONE_SURROGATE, ROW_TIMESTAMP_FORMAT } from "./row-schemas";
import { isLowerUuid, isPlainObject, patternOf, record } from "./fast-parse-primitives";
import { SYNC_TABLES, type TablePolicy } from "./sync-policy";

/**
 * Fast accepting paths for the two schemas a push runs per change (issue 15: zod's machinery
 * was ~7 ms of central's CPU per batch of 1,000). The zod schemas stay the definition: these
 * accept only inputs zod accepts and return exactly what zod would (same values, same keys in
 * the same order), and answer `undefined` for anything else — unusual or wrong — which the
 * caller then hands to zod, so every rejection and its message still come from zod.
 * test/fast-parse.test.ts feeds hostile inputs to both and holds every fast answer to zod's.
 */
export type FastParse<T> = (input: unknown) => T | undefined;

type ColumnCheck = (v: unknown) => { ok: true; value: unknown } | undefined;
const OK = <T>(value: T) => ({ ok: true as const, value });

function columnCheck(col: ColumnSpec): ColumnCheck {
  switch (col.type.kind) {
    case "uuid":
      return (v) => (isLowerUuid(v) ? OK(v) : undefined);
    case "text": {
      const max = textMax(col.type);
      return (v) =>
        typeof v === "string" && v.length <= max && !v.includes("\u0000") && !LONE_SURROGATE.test(v)
          ? OK(v)
          : undefined;
    }
    case "int": {
      const { min, max } = intRange(col.type);
      return (v) => (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? OK(v) : undefined);
    }
    case "bool":
      return (v) => (v === true || v === false || v === 0 || v === 1 ? OK(v === true || v === 1) : undefined);
    case "timestamp": {
      const pattern = patternOf(z.iso.datetime(ROW_TIMESTAMP_FORMAT));
      if (!pattern) return () => undefined;
      return (v) => (typeof v === "string" && pattern.test(v) && isRealDate(v) ? OK(v) : undefined);
    }
    case "enum": {
      const values = new Set(col.type.values);
      return (v) => (typeof v === "string" && values.has(v) ? OK(v) : undefined);
    }
  }
}

/**
 * The fast path of `rowSchemaOf(policy)`: each column in the policy's order (zod's output
 * order), optional ones absent or null as zod leaves them, unknown columns dropped (zod strips
 * them). A key present with the value `undefined` goes to zod.
 */
export function fastRowParser(policy: Pick<TablePolicy, "columns">): FastParse<Record<string, unknown>> {
  const cols = policy.columns.map((c) => ({ name: c.name, optional: !!c.optional, check: columnCheck(c) }));
  return (input) => {
    if (!isPlainObject(input)) return undefined;
    const out: Record<string, unknown> = {};
    for (const c of cols) {
      const v = input[c.name];
      if (v === undefined) {
        if (!c.optional || c.name in input) return undefined;
        continue;
      }
      if (v === null) {
        if (!c.optional) return undefined;
        out[c.name] = null;
        continue;
      }
      const r = c.check(v);
      if (!r) return undefined;
      out[c.name] = r.value;
    }
    return out;
  };
}

const CHANGE_KEYS = new Set([
  "changeId",
  "entityType",
  "entityId",
  "operation",
  "data",
  "baseData",
  "baseVersion",
  "syncPriority",
  "createdInMode",
  "createdAt",
]);
const TABLES = new Set<string>(SYNC_TABLES);
const OPERATIONS = new Set(["CREATE", "UPDATE", "DELETE"]);
const MODES = new Set(["ONLINE", "OFFLINE"]);
const CREATED_AT = patternOf(isoTimestampSchema);

function fastChange(c: unknown): PushChange | undefined {
  if (!isPlainObject(c) || !CREATED_AT) return undefined;
  for (const k of Object.keys(c)) if (!CHANGE_KEYS.has(k)) return undefined;
  const { changeId, entityType, entityId, operation, baseVersion, syncPriority, createdInMode, createdAt } = c;
  if (!isLowerUuid(changeId) || !isLowerUuid(entityId)) return undefined;
  if (typeof entityType !== "string" || !TABLES.has(entityType)) return undefined; // entity names: zod maps them
  if (typeof operation !== "string" || !OPERATIONS.has(operation)) return undefined;
  if (typeof createdInMode !== "string" || !MODES.has(createdInMode)) return undefined;
  if (typeof createdAt !== "string" || !CREATED_AT.test(createdAt)) return undefined;
  if (!(typeof syncPriority === "number" && Number.isInteger(syncPriority) && syncPriority >= 1 && syncPriority <= 10))
    return undefined;
  if (
    baseVersion !== null &&
    !(typeof baseVersion === "number" && Number.isInteger(baseVersion) && baseVersion >= 0 && baseVersion <= INT4_MAX)
  )
    return undefined;
  const data = c.data === null ? null : record(c.data);
  if (data === undefined) return undefined;
  const hasBase = "baseData" in c;
  const baseData = c.baseData === null ? null : hasBase ? record(c.baseData) : undefined;
  if (hasBase && baseData === undefined) return undefined;
  return {
    changeId,
    entityType,
    entityId,
    operation,
    data,
    ...(hasBase ? { baseData } : {}),
    baseVersion,
    syncPriority,
    createdInMode,
    createdAt,
  } as PushChange;
}

/** The fast path of `pushRequestSchema`: `{ terminalId, changes }` and nothing else. */
export const fastPushRequest: FastParse<PushRequest> = (input) => {
  if (!isPlainObject(input)) return undefined;
  const keys = Object.keys(input);
  if (keys.length !== 2 || !("terminalId" in input) || !("changes" in input)) return undefined;
  const { terminalId, changes } = input;
  if (!isLowerUuid(terminalId) || !Array.isArray(changes)) return undefined;
  if (changes.length < 1 || changes.length > MAX_PUSH_BATCH) return undefined;
  const out: PushChange[] = new Array<PushChange>(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const c = fastChange(changes[i]);
    if (!c) return undefined;
    out[i] = c;
  }
  return { terminalId, changes: out } as PushRequest;
};
