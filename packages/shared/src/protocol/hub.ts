import { z } from "zod";
import { TERMINAL_STATUSES } from "../statuses";
import { terminalIdSchema, uuidSchema } from "../ids";
import { agentStatusSchema, tableCountsSchema } from "./heartbeat";
import { syncTableSchema } from "./common";
import { textSchema } from "../row-schemas";
import { syncTypeSchema, triggerReasonSchema } from "./socket-events";

/** The hub's admin API (SPEC §4): triggers, status, emergency stop, schedules, terminal health. */

/** The cron a schedule gets when none is given: every six hours, UTC. */
export const DEFAULT_SCHEDULE_CRON = "0 */6 * * *";
/** What a schedule retries and how long each attempt waits when not told (the slave-to-prod guide's). */
export const DEFAULT_SCHEDULE_RETRIES = 2;
export const DEFAULT_SCHEDULE_ATTEMPT_TIMEOUT_S = 30;

export const syncAllRequestSchema = z
  .object({
    terminalId: terminalIdSchema.optional(),
    allTerminals: z.literal(true, { message: "allTerminals must be true when given" }).optional(),
  })
  .strict()
  .refine((b) => (b.terminalId === undefined) !== (b.allTerminals === undefined), {
    message: "send either { terminalId } or { allTerminals: true }",
    path: ["terminalId"],
  })
  .meta({ id: "SyncAllRequest" });
export type SyncAllRequest = z.infer<typeof syncAllRequestSchema>;

export const syncAllResponseSchema = z
  .object({
    triggered: z.array(terminalIdSchema),
    type: syncTypeSchema,
    reason: triggerReasonSchema,
    /** GET /api/sync/runs/:runId follows it. */
    runId: uuidSchema,
  })
  .meta({ id: "SyncAllResponse" });

export const syncStatusQuerySchema = z.object({ terminalId: uuidSchema.optional() }).meta({ id: "SyncStatusQuery" });

export const syncStatusResponseSchema = z
  .object({
    /** null when the status sums up every terminal. */
    terminalId: uuidSchema.nullable(),
    tables: z.partialRecord(syncTableSchema, tableCountsSchema),
    totals: tableCountsSchema,
    summary: z.object({
      totalTables: z.number().int(),
      tablesWithPending: z.number().int(),
      tablesWithFailed: z.number().int(),
      tablesWithSynced: z.number().int(),
      tablesWithConflicts: z.number().int(),
    }),
    /** Central's emergency stop (push and pull answer 423 SYNC_STOPPED while it holds). */
    emergency: z.lazy(() => emergencyStateSchema).optional(),
    /** With terminalId: an operator's pause of that terminal, or null. */
    terminalPause: z
      .lazy(() => terminalPauseSchema)
      .nullable()
      .optional(),
    /** Health colour: red "emergency stop" while stopped; otherwise the worst of the terminals'. */
    health: z.lazy(() => healthColourSchema).optional(),
    /** One line for people: "emergency stop", "paused", or "running". */
    state: z.string().optional(),
  })
  .meta({ id: "SyncStatusResponse" });
export type SyncStatusResponse = z.infer<typeof syncStatusResponseSchema>;

export const emergencyStopRequestSchema = z
  .object({ reason: textSchema(500).optional() })
  .meta({ id: "EmergencyStopRequest" });

export const emergencyStateSchema = z
  .object({
    stopped: z.boolean(),
    since: z.string().nullable(),
    reason: z.string().nullable(),
    /** Operator who stopped (while stopped) or who last resumed (after a resume). */
    by: z.string().nullable().optional(),
    /** When and by whom the last stop was lifted (null while stopped or never stopped). */
    resumedAt: z.string().nullable().optional(),
    resumedBy: z.string().nullable().optional(),
  })
  .meta({ id: "EmergencyState" });
export type EmergencyState = z.infer<typeof emergencyStateSchema>;

/** An operator's pause of one terminal (POST /api/terminals/:id/pause): its push and pull answer 423. */
export const terminalPauseSchema = z
  .object({ reason: z.string().nullable(), since: z.string().nullable(), by: z.string().nullable() })
  .meta({ id: "TerminalPause" });
export type TerminalPause = z.infer<typeof terminalPauseSchema>;

/** A cron pattern of five fields (minute hour day month weekday), or six with seconds first. */
export const cronSchema = z
  .string()
  .trim()
  .regex(/^(\S+\s+){4,5}\S+$/, "cron must have 5 fields (minute hour day month weekday), e.g. 0 */6 * * *");

/** What create and update set besides the cron. */
const scheduleSettings = {
  /** IANA time zone the cron is read in (default UTC); an unknown zone is refused, never dropped. */
  tz: z.string().trim().min(1, "tz must be an IANA time zone such as Europe/Paris").max(64).optional(),
  /** Attempts after the first for the terminals that did not ack (default 2). */
  retries: z.number().int("retries must be a whole number").min(0).max(10, "retries must be 0 to 10").optional(),
  /** How long each attempt waits for the terminals' acks, in seconds (default 30). */
  attemptTimeoutS: z
    .number()
    .int("attemptTimeoutS must be whole seconds")
    .min(1, "attemptTimeoutS must be 1 to 3600 seconds")
    .max(3600, "attemptTimeoutS must be 1 to 3600 seconds")
    .optional(),
};

const scheduleIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "scheduleId must be an id returned by create");

export const scheduleRequestSchema = z
  .discriminatedUnion(
    "action",
    [
      z
        .object({
          action: z.literal("create"),
          cron: cronSchema.optional(),
          scheduleId: scheduleIdSchema.optional(),
          ...scheduleSettings,
        })
        .strict(),
      /** Changes an existing schedule's cron, zone, retries or attempt timeout (at least one). */
      z
        .object({
          action: z.literal("update"),
          scheduleId: scheduleIdSchema,
          cron: cronSchema.optional(),
          ...scheduleSettings,
        })
        .strict()
        .refine((b) => Object.keys(b).length > 2, { message: "update needs cron, tz, retries or attemptTimeoutS" }),
      z.object({ action: z.literal("pause"), scheduleId: scheduleIdSchema }),
      z.object({ action: z.literal("resume"), scheduleId: scheduleIdSchema }),
      z.object({ action: z.literal("delete"), scheduleId: scheduleIdSchema }),
      /** Fires a SCHEDULED full sync of every terminal now (the schedule's own, when named). */
      z.object({ action: z.literal("trigger-manual"), scheduleId: scheduleIdSchema.optional() }),
    ],
    { message: "action must be one of create, update, pause, resume, delete, trigger-manual" },
  )
  .meta({ id: "ScheduleRequest" });
export type ScheduleRequest = z.infer<typeof scheduleRequestSchema>;

export const scheduleSchema = z
  .object({
    id: z.string(),
    cron: z.string(),
    /** IANA time zone the cron is read in. */
    tz: z.string(),
    paused: z.boolean(),
    retries: z.number().int().optional(),
    attemptTimeoutS: z.number().int().optional(),
    createdAt: z.string(),
    /** When it fires next; null while paused. */
    nextRunAt: z.string().nullable(),
    /** Its latest run (scheduled or trigger-manual); null before the first. */
    lastRun: z
      .object({
        runId: z.string().optional(),
        startedAt: z.string(),
        finishedAt: z.string().nullable(),
        outcome: z.enum(["RUNNING", "SUCCESS", "PARTIAL", "FAILED"]),
        error: z.string().nullable().optional(),
      })
      .nullable()
      .optional(),
  })
  .meta({ id: "Schedule" });
export type Schedule = z.infer<typeof scheduleSchema>;

export const scheduleListResponseSchema = z
  .object({ schedules: z.array(scheduleSchema) })
  .meta({ id: "ScheduleListResponse" });

export const scheduleActionResponseSchema = z
  .object({ action: z.string(), schedule: scheduleSchema.optional(), runId: z.string().optional() })
  .loose()
  .meta({ id: "ScheduleActionResponse" });

export const healthColourSchema = z.enum(["green", "yellow", "red", "gray"]);
export type HubHealthColour = z.infer<typeof healthColourSchema>;

export const terminalHealthSchema = z
  .object({
    id: terminalIdSchema,
    name: z.string(),
    storeId: uuidSchema,
    status: z.enum(TERMINAL_STATUSES),
    health: healthColourSchema,
    /** The agent's own state from its last heartbeat (paused, circuit-open...). */
    agentStatus: agentStatusSchema.nullable(),
    lastSeenAt: z.string().nullable(),
    lastSyncAt: z.string().nullable(),
    ackedCursor: z.string(),
    /** Feed entries in its scope it has not acknowledged yet (counted up to 100,000). */
    lag: z.number().int(),
    outbox: tableCountsSchema,
    /** Optional human code (e.g. `home-office-01`), unique, accepted wherever an id is. */
    code: z.string().nullable().optional(),
    storeName: z.string().optional(),
    /** Paused by an operator (POST /api/terminals/:id/pause), apart from an emergency stop. */
    paused: z.boolean().optional(),
    /** Age in seconds of the oldest feed entry in its scope it has not acknowledged; 0 when caught up. */
    lagSeconds: z.number().nonnegative().nullable().optional(),
    /** The last error as the agent reported it in a heartbeat; null once it synced cleanly. */
    lastError: z
      .object({ message: z.string(), at: z.string().nullable(), code: z.string().nullable().optional() })
      .nullable()
      .optional(),
    /** The agent's circuit breaker from its last heartbeat (null before one): why a till fails. */
    circuit: z.enum(["closed", "open", "half-open"]).nullable().optional(),
  })
  .meta({ id: "TerminalHealth" });
export type TerminalHealth = z.infer<typeof terminalHealthSchema>;
