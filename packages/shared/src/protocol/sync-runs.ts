import { z } from "zod";
import { terminalIdSchema, uuidSchema } from "../ids";
import { syncTypeSchema } from "./socket-events";

/**
 * Sync runs (SPEC §4 `GET /api/sync/runs/:id`): what one `POST /api/sync/all`, `trigger-manual`
 * or scheduled firing did, terminal by terminal.
 */

/** MANUAL: an operator asked for it (sync/all, trigger-manual); SCHEDULED: a schedule fired. */
export const syncRunTypeSchema = z.enum(["MANUAL", "SCHEDULED"]);
export type SyncRunType = z.infer<typeof syncRunTypeSchema>;

/** RUNNING, then SUCCESS (every terminal acked), PARTIAL (some did) or FAILED (none did). */
export const syncRunStatusSchema = z.enum(["RUNNING", "SUCCESS", "PARTIAL", "FAILED"]);
export type SyncRunStatus = z.infer<typeof syncRunStatusSchema>;

/** One terminal's part: TRIGGERED until its sync:ack (ACKED) or an error (FAILED). */
export const syncRunTerminalSchema = z.object({
  terminalId: terminalIdSchema,
  state: z.enum(["TRIGGERED", "ACKED", "FAILED"]),
  ackedAt: z.string().nullable(),
  pushed: z.number().int(),
  pulled: z.number().int(),
  error: z.string().nullable(),
});
export type SyncRunTerminal = z.infer<typeof syncRunTerminalSchema>;

/** `?wait=N`: answer once the run completed, or after N seconds (at most 120) with it still RUNNING. */
export const syncRunQuerySchema = z
  .object({
    wait: z.coerce
      .number({ message: "wait must be a number of seconds" })
      .int("wait must be whole seconds")
      .min(0, "wait must be 0 to 120 seconds")
      .max(120, "wait must be 0 to 120 seconds")
      .optional(),
  })
  .strict()
  .meta({ id: "SyncRunQuery" });

export const syncRunResponseSchema = z
  .object({
    runId: uuidSchema,
    type: syncRunTypeSchema,
    syncType: syncTypeSchema,
    scheduleId: z.string().nullable(),
    requestedBy: z.string().nullable(),
    status: syncRunStatusSchema,
    /** True once the run completed with every terminal acked. */
    success: z.boolean(),
    message: z.string(),
    /** When this answer was made. */
    timestamp: z.string(),
    startedAt: z.string(),
    completedAt: z.string().nullable(),
    /** Attempt in progress (or the last one), out of 1 + retries. */
    attempt: z.number().int(),
    retries: z.number().int(),
    attemptTimeoutS: z.number().int(),
    terminals: z.object({
      triggered: z.number().int(),
      acked: z.number().int(),
      /** Acked or failed: the terminals whose part of the run is over. */
      completed: z.number().int(),
      failed: z.number().int(),
    }),
    records: z.object({ pushed: z.number().int(), pulled: z.number().int() }),
    errors: z.array(z.object({ terminalId: terminalIdSchema, error: z.string() })),
    results: z.array(syncRunTerminalSchema),
    /**
     * The slave-to-prod guide's block, with its field names (snake_case) kept for the scripts
     * written against it: the only snake_case keys of the admin API.
     */
    statistics: z.object({
      total_records: z.number().int(),
      records_pushed: z.number().int(),
      records_pulled: z.number().int(),
      terminals_triggered: z.number().int(),
      terminals_acked: z.number().int(),
      terminals_failed: z.number().int(),
      sync_started_at: z.string(),
      sync_completed_at: z.string().nullable(),
    }),
  })
  .meta({ id: "SyncRunResponse" });
export type SyncRunResponse = z.infer<typeof syncRunResponseSchema>;
