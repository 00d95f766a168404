import { isLowerUuid, isPlainObject, record } from "./fast-parse-primitives";
import type { SyncPullAnswer } from "./protocol/socket-events";
import { SYNC_TABLES } from "./sync-policy";

/**
 * A fast accepting path for central's answer to `sync:pull` with a page (issue 15: zod was ~6 %
 * of the agents' CPU in the 1,000-till fan-out, a union and a page of changes parsed for every
 * till and price change). Same contract as fast-parse.ts: syncPullAnswerSchema stays the
 * definition; this accepts only what zod accepts and returns exactly what zod would (same values,
 * same keys in the same order), and answers `undefined` for anything else (an error answer, an
 * unknown key, an upper-case id), which the caller hands to zod. The rows inside the page are
 * still checked by the agent against the table's row schema (transport/answer-checks.ts).
 * test/fast-pull-answer.test.ts holds every answer to zod's.
 */

const TABLES = new Set<string>(SYNC_TABLES);
const PAGE_KEYS = new Set(["changes", "nextCursor", "hasMore", "epoch"]);
const CHANGE_KEYS = new Set(["entityType", "entityId", "operation", "data", "version"]);
const CURSOR = /^\d{1,19}$/;
/** feedCursorSchema's bound: positions are PostgreSQL bigints. */
const MAX_CURSOR = 9_223_372_036_854_775_807n;

type Page = Extract<SyncPullAnswer, { ok: true }>["page"];
type Change = Page["changes"][number];

/** Only the keys of `allowed`, none of them present as `undefined` (zod would treat it otherwise). */
function onlyKeys(o: Record<string, unknown>, allowed: Set<string>): boolean {
  for (const k of Object.keys(o)) if (!allowed.has(k) || o[k] === undefined) return false;
  return true;
}

function change(c: unknown): Change | undefined {
  if (!isPlainObject(c) || !onlyKeys(c, CHANGE_KEYS)) return undefined;
  const { entityType, entityId, operation, version } = c;
  if (typeof entityType !== "string" || !TABLES.has(entityType) || !isLowerUuid(entityId)) return undefined;
  if (operation !== "UPSERT" && operation !== "DELETE") return undefined;
  if (version !== null && !(typeof version === "number" && Number.isSafeInteger(version))) return undefined;
  const data = c.data === null ? null : record(c.data);
  if (data === undefined) return undefined;
  return { entityType, entityId, operation, data, version } as Change;
}

export function fastPullAnswer(input: unknown): SyncPullAnswer | undefined {
  if (!isPlainObject(input) || input.ok !== true || Object.keys(input).length !== 2) return undefined;
  const p = input.page;
  if (!isPlainObject(p) || !onlyKeys(p, PAGE_KEYS)) return undefined;
  const { changes, nextCursor, hasMore, epoch } = p;
  if (!Array.isArray(changes) || typeof hasMore !== "boolean") return undefined;
  if (typeof nextCursor !== "string" || !CURSOR.test(nextCursor) || BigInt(nextCursor) > MAX_CURSOR) return undefined;
  if (epoch !== undefined && !isLowerUuid(epoch)) return undefined;
  const out = new Array<Change>(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const c = change(changes[i]);
    if (!c) return undefined;
    out[i] = c;
  }
  const page = { changes: out, nextCursor, hasMore, ...(epoch !== undefined ? { epoch } : {}) } as Page;
  return { ok: true, page };
}
