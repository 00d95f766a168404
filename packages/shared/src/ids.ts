import { z } from "zod";

/**
 * Branded identifiers. They are plain strings at run time; the brand only stops a terminal id
 * from being passed where a change id is expected.
 */
export type TerminalId = string & { readonly __brand: "TerminalId" };
export type StoreId = string & { readonly __brand: "StoreId" };
export type ChangeId = string & { readonly __brand: "ChangeId" };
export type ConflictId = string & { readonly __brand: "ConflictId" };

/**
 * A position in central's change feed. Opaque: terminals store it and send it back, and must
 * not do arithmetic on it or compare it with anything but another cursor of the same feed.
 * "0" is the start of the feed.
 */
export type FeedCursor = string & { readonly __brand: "FeedCursor" };

export const START_CURSOR = "0" as FeedCursor;

/** Lower-cased: PostgreSQL answers uuids in lower case, and ids must compare equal on both sides. */
export const uuidSchema = z
  .uuid({ error: (issue) => (issue.input === undefined ? "is required" : "must be a UUID") })
  .transform((s) => s.toLowerCase());
export const terminalIdSchema = uuidSchema.transform((s) => s as TerminalId);
export const storeIdSchema = uuidSchema.transform((s) => s as StoreId);
export const changeIdSchema = uuidSchema.transform((s) => s as ChangeId);
export const conflictIdSchema = uuidSchema.transform((s) => s as ConflictId);
/** Positions are PostgreSQL bigints: a cursor past the largest one cannot have come from a pull. */
const MAX_CURSOR = 9_223_372_036_854_775_807n;
export const feedCursorSchema = z
  .string()
  .regex(/^\d{1,19}$/, { message: "must be a cursor returned by /api/sync/pull" })
  // zod runs every check even after the regex failed: the BigInt must not see a non-number.
  .refine((s) => !/^\d{1,19}$/.test(s) || BigInt(s) <= MAX_CURSOR, {
    message: "must be a cursor returned by /api/sync/pull (it is beyond any position)",
  })
  .transform((s) => s as FeedCursor);
