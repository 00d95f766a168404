import { ValidationError } from "@tillsync/shared";

/**
 * Keyset paging for newest-first lists: the cursor is the last row's time and id, opaque to
 * clients (base64url of JSON). Times are stored to the millisecond, so the ISO form is exact.
 */
export interface PagePosition {
  at: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodePageCursor(p: PagePosition): string {
  return Buffer.from(JSON.stringify([p.at, p.id])).toString("base64url");
}

export function decodePageCursor(cursor: string): PagePosition {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(v) &&
      typeof v[0] === "string" &&
      typeof v[1] === "string" &&
      UUID.test(v[1]) &&
      !Number.isNaN(Date.parse(v[0]))
    )
      return { at: v[0], id: v[1] };
  } catch {
    // falls through to the error below
  }
  throw new ValidationError("cursor: not a cursor central returned; send back nextCursor unchanged");
}

/** One page of `limit` from `limit + 1` rows read: the extra row only says there is more. */
export function pageOf<R>(rows: R[], limit: number, position: (r: R) => PagePosition) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last ? encodePageCursor(position(last)) : null };
}
