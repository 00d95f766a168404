import { z } from "zod";
import { isoTimestampSchema } from "./common";
import { nextCursorSchema, pageCursorSchema } from "./paging";

/**
 * GET /api/sync/own-orders: a terminal's own orders made since a time, with their lines and
 * payments, oldest first. A replaced till (or one whose database was lost) restores them with
 * `startup --force`, so yesterday's sale can still be looked up for a return.
 */

export const MAX_OWN_ORDERS_LIMIT = 1000;
export const DEFAULT_OWN_ORDERS_LIMIT = 500;

export const ownOrdersQuerySchema = z
  .object({
    /** Orders created at or after this time. */
    since: isoTimestampSchema,
    limit: z.coerce.number().int().min(1).max(MAX_OWN_ORDERS_LIMIT).default(DEFAULT_OWN_ORDERS_LIMIT),
    cursor: pageCursorSchema.optional(),
  })
  .meta({ id: "OwnOrdersQuery" });
export type OwnOrdersQuery = z.infer<typeof ownOrdersQuerySchema>;

const rowSchema = z.record(z.string(), z.unknown());

export const ownOrdersPageSchema = z
  .object({
    /** sale_orders rows as central holds them (the policy's columns). */
    orders: z.array(rowSchema),
    /** The lines and payments of those orders. */
    lines: z.array(rowSchema),
    payments: z.array(rowSchema),
    nextCursor: nextCursorSchema,
  })
  .meta({ id: "OwnOrdersPage" });
export type OwnOrdersPage = z.infer<typeof ownOrdersPageSchema>;
