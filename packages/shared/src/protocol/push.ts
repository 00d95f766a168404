import { z } from "zod";
import { changeIdSchema, conflictIdSchema, terminalIdSchema, uuidSchema } from "../ids";
import { INT4_MAX } from "../policy-columns";
import { CONFLICT_STRATEGIES } from "../sync-policy";
import { CONFLICT_OUTCOMES } from "../statuses";
import {
  createdInModeSchema,
  entityTypeInputSchema,
  isoTimestampSchema,
  operationSchema,
  prioritySchema,
} from "./common";

/** The largest batch central accepts in one push. */
export const MAX_PUSH_BATCH = 1000;

export const pushChangeSchema = z
  .object({
    changeId: changeIdSchema,
    entityType: entityTypeInputSchema,
    entityId: uuidSchema,
    operation: operationSchema,
    /** The row after the change, keyed by column name; null for DELETE. */
    data: z.record(z.string(), z.unknown()).nullable(),
    /**
     * The row as the terminal had it before the change (UPDATE/DELETE). MERGE strategies use
     * it to turn the terminal's new values of merge fields into deltas.
     */
    baseData: z.record(z.string(), z.unknown()).nullable().optional(),
    /** Central's version of the row the terminal last saw; null for rows it created. */
    baseVersion: z.number().int().nonnegative().max(INT4_MAX, "must be a version central answered").nullable(),
    syncPriority: prioritySchema,
    createdInMode: createdInModeSchema,
    createdAt: isoTimestampSchema,
  })
  .meta({ id: "PushChange" });
export type PushChange = z.infer<typeof pushChangeSchema>;

export const pushRequestSchema = z
  .object({
    terminalId: terminalIdSchema,
    changes: z.array(pushChangeSchema).min(1).max(MAX_PUSH_BATCH),
  })
  .meta({ id: "PushRequest" });
export type PushRequest = z.infer<typeof pushRequestSchema>;

const appliedResult = z.object({
  changeId: changeIdSchema,
  status: z.literal("APPLIED"),
  /** Central's version of the row after this change. */
  version: z.number().int(),
});

const conflictResult = z.object({
  changeId: changeIdSchema,
  status: z.literal("CONFLICT"),
  conflictId: conflictIdSchema,
  strategy: z.enum(CONFLICT_STRATEGIES as [string, ...string[]]),
  /** What happened: the terminal's row won, central's row stayed, fields merged, or held. */
  resolution: z.enum(CONFLICT_OUTCOMES),
  version: z.number().int(),
  /** Central's row after resolution, for the terminal to take over. */
  centralData: z.record(z.string(), z.unknown()).nullable(),
  /**
   * Columns whose terminal value central did not apply and kept its own (field ownership:
   * `centralFields` in the policy; or every differing column when central kept its whole row).
   */
  keptFields: z.array(z.string()).optional(),
});

const rejectedResult = z.object({
  changeId: changeIdSchema,
  status: z.literal("REJECTED"),
  reason: z.string(),
  /** True when the same change may succeed later (e.g. its parent has not arrived yet). */
  retryable: z.boolean(),
});

export const firstResultSchema = z.discriminatedUnion("status", [appliedResult, conflictResult, rejectedResult]);
export type FirstResult = z.infer<typeof firstResultSchema>;

const duplicateResult = z.object({
  changeId: changeIdSchema,
  status: z.literal("DUPLICATE"),
  /** The result the change got when central first applied it. */
  original: firstResultSchema,
});

export const pushResultSchema = z
  .discriminatedUnion("status", [appliedResult, conflictResult, rejectedResult, duplicateResult])
  .meta({ id: "PushResult" });
export type PushResult = z.infer<typeof pushResultSchema>;

export const pushResponseSchema = z.object({ results: z.array(pushResultSchema) }).meta({ id: "PushResponse" });
export type PushResponse = z.infer<typeof pushResponseSchema>;
