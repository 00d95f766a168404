import { z } from "zod";
import { feedCursorSchema, START_CURSOR, uuidSchema } from "../ids";
import { entityTypeInputSchema, syncTableSchema } from "./common";

export const MAX_PULL_LIMIT = 5000;
export const DEFAULT_PULL_LIMIT = 1000;

export const pullQuerySchema = z
  .object({
    since: feedCursorSchema.default(START_CURSOR),
    limit: z.coerce.number().int().min(1).max(MAX_PULL_LIMIT).default(DEFAULT_PULL_LIMIT),
    entityType: entityTypeInputSchema.optional(),
    /**
     * The feed epoch the cursor came from (the `epoch` of the pull that gave it). Another epoch
     * is a 409 FEED_RESET; without it only the cursor itself is checked.
     */
    epoch: uuidSchema.optional(),
  })
  .meta({ id: "PullQuery" });
export type PullQuery = z.infer<typeof pullQuerySchema>;

export const pullChangeSchema = z
  .object({
    entityType: syncTableSchema,
    entityId: uuidSchema,
    operation: z.enum(["UPSERT", "DELETE"]),
    /** The row as central holds it now; null when it was deleted. */
    data: z.record(z.string(), z.unknown()).nullable(),
    version: z.number().int().nullable(),
  })
  .meta({ id: "PullChange" });
export type PullChange = z.infer<typeof pullChangeSchema>;

export const pullResponseSchema = z
  .object({
    changes: z.array(pullChangeSchema),
    nextCursor: feedCursorSchema,
    hasMore: z.boolean(),
    /**
     * The feed's identity: store it with the cursor and send it back. Absent from centrals
     * before the epoch existed.
     */
    epoch: uuidSchema.optional(),
  })
  .meta({ id: "PullResponse" });
export type PullResponse = z.infer<typeof pullResponseSchema>;

/**
 * The cursor a terminal applied. `epoch`: the feed epoch its pages named (agents since 2026-12;
 * optional for older ones). Central records neither a cursor beyond its feed's head nor one of
 * another epoch: 409 FEED_RESET, as a pull of that cursor would answer.
 */
export const acknowledgeRequestSchema = z
  .object({ terminalId: uuidSchema, cursor: feedCursorSchema, epoch: uuidSchema.optional() })
  .meta({ id: "AcknowledgeRequest" });
export type AcknowledgeRequest = z.infer<typeof acknowledgeRequestSchema>;
