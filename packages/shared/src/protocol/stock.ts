import { z } from "zod";
import { storeIdSchema, uuidSchema } from "../ids";
import { INT4_MAX } from "../policy-columns";
import { intColumnOf, textSchema } from "../row-schemas";
import { ADJUSTMENT_REASONS } from "../sync-policy";
import { isoTimestampSchema } from "./common";
import { nextCursorSchema, pageCursorSchema, pageLimitSchema } from "./paging";

/**
 * Central's stock writes (POST /api/stock) and the stock ledger (GET
 * /api/stock/:storeId/:productId/history). Every movement, from a till or from central, is an
 * inventory_adjustments row; a quantity is the sum of its item's ledger, never overwritten.
 */

/**
 * Reasons a ledger row may carry: the ones terminals push (the policy's) and TRANSFER, which
 * only central writes (both halves of a store-to-store transfer).
 */
export const STOCK_REASONS = [...ADJUSTMENT_REASONS, "TRANSFER"] as const;
export type StockReason = (typeof STOCK_REASONS)[number];

export const STOCK_MOVEMENT_TYPES = ["COUNT", "RECEIVE", "DAMAGE", "TRANSFER"] as const;
export type StockMovementType = (typeof STOCK_MOVEMENT_TYPES)[number];

/** Units moved by a receipt, damage or transfer: at least one, and what a stock column holds. */
const unitsSchema = z
  .number({ error: unlessMissingNumber("quantity") })
  .int("quantity must be a whole number")
  .min(1, "quantity must be at least 1 (the units received, damaged or transferred)")
  .max(INT4_MAX, `quantity must be at most ${INT4_MAX}`);

function unlessMissingNumber(field: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `${field} is required` : `${field} must be a number`;
}

/** Why, in the operator's words (kept on the ledger row). */
const noteSchema = z.string().trim().pipe(textSchema(500)).optional();

const countSchema = z.object({
  type: z.literal("COUNT"),
  storeId: storeIdSchema,
  productId: uuidSchema,
  /** What is on the shelf now: the ledger gets an adjustment of (this − the current quantity). */
  quantity: intColumnOf("inventory_items", "quantity").min(0, "quantity (a count) must be at least 0"),
  note: noteSchema,
});

const deltaSchema = (type: "RECEIVE" | "DAMAGE") =>
  z.object({
    type: z.literal(type),
    storeId: storeIdSchema,
    productId: uuidSchema,
    quantity: unitsSchema,
    note: noteSchema,
  });

const transferSchema = z
  .object({
    type: z.literal("TRANSFER"),
    fromStoreId: storeIdSchema,
    toStoreId: storeIdSchema,
    productId: uuidSchema,
    quantity: unitsSchema,
    note: noteSchema,
  })
  .refine((t) => t.fromStoreId !== t.toStoreId, {
    message: "toStoreId must be another store than fromStoreId",
    path: ["toStoreId"],
  });

/**
 * One stock movement made at central. `type` defaults to COUNT, so `{storeId, productId,
 * quantity}` (the request of earlier versions) is still a stock count.
 */
export const stockMovementRequestSchema = z
  .preprocess(
    (v) => (v && typeof v === "object" && !Array.isArray(v) && !("type" in v) ? { ...v, type: "COUNT" } : v),
    z.discriminatedUnion("type", [countSchema, deltaSchema("RECEIVE"), deltaSchema("DAMAGE"), transferSchema], {
      error: () => `type must be one of ${STOCK_MOVEMENT_TYPES.join(", ")}`,
    }),
  )
  .meta({ id: "StockMovementRequest" });
export type StockMovementRequest = z.infer<typeof stockMovementRequestSchema>;

/** One row of the stock ledger. */
export const stockAdjustmentSchema = z
  .object({
    id: uuidSchema,
    storeId: uuidSchema,
    productId: uuidSchema,
    delta: z.number().int(),
    reason: z.enum(STOCK_REASONS),
    /** Who: the till that made it (its own sales, returns, counts)... */
    terminalId: uuidSchema.nullable(),
    terminalName: z.string().nullable(),
    /** ...or the operator at central. */
    operatorName: z.string().nullable(),
    note: z.string().nullable(),
    /** Both halves of a transfer share it. */
    transferId: uuidSchema.nullable(),
    createdAt: isoTimestampSchema,
  })
  .meta({ id: "StockAdjustment" });
export type StockAdjustment = z.infer<typeof stockAdjustmentSchema>;

export const stockItemSchema = z
  .object({
    id: uuidSchema,
    storeId: uuidSchema,
    productId: uuidSchema,
    quantity: z.number().int(),
    version: z.number(),
  })
  .meta({ id: "StockItem" });

export const stockMovementResponseSchema = z
  .object({
    /** The item of `storeId` (COUNT, RECEIVE, DAMAGE) or of `toStoreId` (TRANSFER), after the movement. */
    inventoryItem: stockItemSchema,
    /** Every item the movement changed (two for a transfer: source first). */
    inventoryItems: z.array(stockItemSchema),
    adjustments: z.array(stockAdjustmentSchema),
  })
  .meta({ id: "StockMovementResponse" });

export const stockHistoryQuerySchema = z
  .object({ limit: pageLimitSchema, cursor: pageCursorSchema.optional() })
  .meta({ id: "StockHistoryQuery" });
export type StockHistoryQuery = z.infer<typeof stockHistoryQuerySchema>;

/** The ledger of one item, newest first; `quantity` is its current stock (null: never stocked). */
export const stockHistoryPageSchema = z
  .object({
    storeId: uuidSchema,
    productId: uuidSchema,
    quantity: z.number().int().nullable(),
    adjustments: z.array(stockAdjustmentSchema),
    nextCursor: nextCursorSchema,
  })
  .meta({ id: "StockHistoryPage" });
export type StockHistoryPage = z.infer<typeof stockHistoryPageSchema>;
