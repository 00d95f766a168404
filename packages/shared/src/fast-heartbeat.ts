import { isLowerUuid, isPlainObject, patternOf } from "./fast-parse-primitives";
import { isoTimestampSchema } from "./protocol/common";
import { agentStatusSchema, type HeartbeatRequest } from "./protocol/heartbeat";
import { SYNC_TABLES } from "./sync-policy";

/**
 * A fast accepting path for the heartbeat body (issue 15: zod was ~47 µs of central's CPU per
 * heartbeat, 11 % of what a heartbeat costs beyond a GET /health, at 333 heartbeats a second).
 * Same contract as fast-parse.ts: heartbeatRequestSchema stays the definition; this accepts only
 * what zod accepts and returns exactly what zod would (same values, same keys in the same
 * order), and answers `undefined` for anything else, which the caller hands to zod, so every
 * rejection and its message still come from zod. It takes the heartbeat of a healthy till
 * (no error, no FAILED changes, disk ok or full with no time); anything richer goes to zod.
 * test/fast-heartbeat.test.ts holds its answers to zod's.
 */

const STATUSES = new Set<string>(agentStatusSchema.options);
const TABLES = new Set<string>(SYNC_TABLES);
const CIRCUITS = new Set(["closed", "open", "half-open"]);
const TOP_KEYS = new Set([
  "terminalId",
  "status",
  "outbox",
  "lastError",
  "failedChanges",
  "storage",
  "circuit",
  "lastSyncAt",
]);
/** zod's own ISO timestamp pattern, so the test is the very same. */
const ISO = patternOf(isoTimestampSchema);

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function outboxOf(v: unknown): HeartbeatRequest["outbox"] | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, { pending: number; failed: number; synced: number; conflicts: number }> = {};
  for (const table of Object.keys(v)) {
    const c = v[table];
    if (!TABLES.has(table) || !isPlainObject(c) || Object.keys(c).length !== 4) return undefined;
    const { pending, failed, synced, conflicts } = c;
    if (!isCount(pending) || !isCount(failed) || !isCount(synced) || !isCount(conflicts)) return undefined;
    out[table] = { pending, failed, synced, conflicts };
  }
  return out as HeartbeatRequest["outbox"];
}

function storageOf(v: unknown): HeartbeatRequest["storage"] | undefined {
  if (!isPlainObject(v) || Object.keys(v).length !== 4) return undefined;
  const { condition, since, error, freeBytes } = v;
  if (condition !== "ok" && condition !== "full") return undefined;
  if (since !== null) return undefined;
  if (error !== null && (typeof error !== "string" || error.length > 2000)) return undefined;
  if (freeBytes !== null && (typeof freeBytes !== "number" || !Number.isFinite(freeBytes) || freeBytes < 0))
    return undefined;
  return { condition, since, error, freeBytes };
}

export function fastHeartbeatRequest(input: unknown): HeartbeatRequest | undefined {
  if (!isPlainObject(input) || !ISO) return undefined;
  for (const k of Object.keys(input)) if (!TOP_KEYS.has(k)) return undefined;
  const { terminalId, status, lastError, failedChanges, storage, circuit, lastSyncAt } = input;
  if (!isLowerUuid(terminalId)) return undefined;
  if (typeof status !== "string" || !STATUSES.has(status)) return undefined;
  const outbox = outboxOf(input.outbox);
  if (!outbox) return undefined;
  const out: Record<string, unknown> = { terminalId, status, outbox };
  // The optional fields in the schema's order, each only when sent (as zod leaves them out).
  if ("lastError" in input) {
    if (lastError !== null) return undefined;
    out.lastError = null;
  }
  if ("failedChanges" in input) {
    if (!Array.isArray(failedChanges) || failedChanges.length !== 0) return undefined;
    out.failedChanges = [];
  }
  if ("storage" in input) {
    const s = storageOf(storage);
    if (!s) return undefined;
    out.storage = s;
  }
  if ("circuit" in input) {
    if (typeof circuit !== "string" || !CIRCUITS.has(circuit)) return undefined;
    out.circuit = circuit;
  }
  if ("lastSyncAt" in input) {
    if (lastSyncAt !== null && (typeof lastSyncAt !== "string" || !ISO.test(lastSyncAt))) return undefined;
    out.lastSyncAt = lastSyncAt;
  }
  return out as HeartbeatRequest;
}
