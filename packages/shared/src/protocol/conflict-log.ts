import { z } from "zod";
import { uuidSchema } from "../ids";
import { CONFLICT_OUTCOMES, CONFLICT_STATUSES, OPERATOR_RESOLUTIONS } from "../statuses";
import { CONFLICT_STRATEGIES } from "../sync-policy";
import { isoTimestampSchema, syncTableSchema } from "./common";
import { nextCursorSchema, pageCursorSchema, pageLimitSchema } from "./paging";

/** The conflict log as GET /api/conflicts answers it (field names as central stores them). */

const rowSchema = z.record(z.string(), z.unknown());

export const conflictStatusSchema = z.enum(CONFLICT_STATUSES, { message: "status must be PENDING or RESOLVED" });

export const conflictEntrySchema = z
  .object({
    id: uuidSchema,
    terminalId: uuidSchema,
    changeId: uuidSchema,
    entityType: syncTableSchema,
    entityId: uuidSchema,
    /** The table's strategy when the change arrived. */
    strategy: z.enum(CONFLICT_STRATEGIES as [string, ...string[]]),
    status: conflictStatusSchema,
    /** The version the terminal changed, and central's version at the time. */
    baseVersion: z.number().int().nullable(),
    centralVersion: z.number().int().nullable(),
    /** The terminal's side (its row after the change; null for a DELETE). */
    terminalData: rowSchema.nullable(),
    /** Central's side when the change arrived (null: central had no such row). */
    centralData: rowSchema.nullable(),
    /** The push-time outcome, or the operator's resolution once a pending conflict is settled. */
    resolution: z.enum([...CONFLICT_OUTCOMES, ...OPERATOR_RESOLUTIONS]).nullable(),
    /** The row written by the resolution. */
    resolvedData: rowSchema.nullable(),
    createdAt: isoTimestampSchema,
    resolvedAt: isoTimestampSchema.nullable(),
    /** Operator who resolved a pending conflict, and their reason. */
    resolvedBy: z.string().nullable().optional(),
    reason: z.string().nullable().optional(),
    terminalName: z.string().optional(),
  })
  .meta({ id: "ConflictEntry" });
export type ConflictEntry = z.infer<typeof conflictEntrySchema>;

export const conflictQuerySchema = z
  .object({
    status: conflictStatusSchema.optional(),
    entityType: syncTableSchema.optional(),
    terminalId: uuidSchema.optional(),
    limit: pageLimitSchema,
    cursor: pageCursorSchema.optional(),
  })
  .strict()
  .meta({ id: "ConflictQuery" });
export type ConflictQuery = z.infer<typeof conflictQuerySchema>;

export const conflictPageSchema = z
  .object({
    conflicts: z.array(conflictEntrySchema),
    nextCursor: nextCursorSchema,
    /** How many match the filters in all (pending queues stay small; counted exactly). */
    total: z.number().int().nonnegative().optional(),
  })
  .meta({ id: "ConflictPage" });
export type ConflictPage = z.infer<typeof conflictPageSchema>;

export const resolveConflictResponseSchema = z
  .object({
    conflict: z.object({
      id: uuidSchema,
      status: z.literal("RESOLVED"),
      resolution: z.enum(OPERATOR_RESOLUTIONS),
      /** Central's row after the resolution (null when it was deleted). */
      row: rowSchema.nullable(),
    }),
  })
  .meta({ id: "ResolveConflictResponse" });
export type ResolveConflictResponse = z.infer<typeof resolveConflictResponseSchema>;

export const conflictResponseSchema = z.object({ conflict: conflictEntrySchema }).meta({ id: "ConflictResponse" });
