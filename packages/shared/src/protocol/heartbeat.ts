import { z } from "zod";
import { terminalIdSchema, uuidSchema } from "../ids";
import { isoTimestampSchema, operationSchema, syncTableSchema } from "./common";

export const tableCountsSchema = z.object({
  pending: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  synced: z.number().int().nonnegative(),
  conflicts: z.number().int().nonnegative(),
});
export type TableCounts = z.infer<typeof tableCountsSchema>;

export const agentStatusSchema = z.enum([
  "idle",
  "pushing",
  "pulling",
  "backing-off",
  "circuit-open",
  "paused",
  "stopped",
]);
export type AgentStatus = z.infer<typeof agentStatusSchema>;

/** The agent's last sync error, as it reports it (null after a clean cycle). */
export const reportedErrorSchema = z.object({
  message: z.string().max(2000),
  at: z.string().nullable(),
  code: z.string().max(100).nullable().optional(),
});

/** An outbox change the terminal parked as FAILED, as its agent reported it. */
export const failedChangeSchema = z
  .object({
    changeId: uuidSchema,
    entityType: syncTableSchema,
    entityId: uuidSchema,
    operation: operationSchema,
    error: z.string(),
    attempts: z.number().int().nonnegative().nullable(),
    lastAttemptAt: isoTimestampSchema.nullable(),
  })
  .meta({ id: "FailedChange" });
export type FailedChange = z.infer<typeof failedChangeSchema>;

/** How many FAILED changes a heartbeat may list (the rest are counted in `outbox`). */
export const MAX_REPORTED_FAILED_CHANGES = 100;

/**
 * The till's disk as its agent found it: `full` since a write of its own failed for want of
 * space (the agent keeps running and retries), with the free bytes it measured.
 */
export const storageReportSchema = z
  .object({
    condition: z.enum(["ok", "full"]),
    since: isoTimestampSchema.nullable(),
    error: z.string().max(2000).nullable(),
    freeBytes: z.number().nonnegative().nullable(),
  })
  .meta({ id: "StorageReport" });
export type StorageReport = z.infer<typeof storageReportSchema>;

export const heartbeatRequestSchema = z
  .object({
    terminalId: terminalIdSchema,
    status: agentStatusSchema,
    outbox: z.partialRecord(syncTableSchema, tableCountsSchema),
    /** Optional: the last error of its sync, shown in the console; null once it synced cleanly. */
    lastError: reportedErrorSchema.nullable().optional(),
    /** Optional: its FAILED outbox changes with their errors (at most 100). */
    failedChanges: z.array(failedChangeSchema).max(MAX_REPORTED_FAILED_CHANGES).optional(),
    /** Optional: whether the till's disk takes the agent's writes. */
    storage: storageReportSchema.optional(),
    /** Optional: its circuit breaker, so central shows an open circuit and a half-open probe. */
    circuit: z.enum(["closed", "open", "half-open"]).optional(),
    /** Optional: when its last cycle went cleanly (null: never); a till that only pulls has synced too. */
    lastSyncAt: isoTimestampSchema.nullable().optional(),
  })
  .meta({ id: "HeartbeatRequest" });
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;
