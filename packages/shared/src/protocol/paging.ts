import { z } from "zod";

/** Newest-first lists are paged by an opaque cursor: send back `nextCursor` for the next (older) page. */
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

export const pageLimitSchema = z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT);
/** Opaque: only ever a value central returned as `nextCursor`. */
export const pageCursorSchema = z.string().min(1).max(200);
export const nextCursorSchema = pageCursorSchema.nullable();
