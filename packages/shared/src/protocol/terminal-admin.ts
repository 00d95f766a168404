import { z } from "zod";
import { feedCursorSchema, uuidSchema } from "../ids";
import { TERMINAL_STATUSES } from "../statuses";
import { isoTimestampSchema, syncTableSchema } from "./common";
import { failedChangeSchema, tableCountsSchema } from "./heartbeat";
import { emergencyStateSchema, terminalHealthSchema } from "./hub";
import { storeSchema } from "./admin";
import { textSchema } from "../row-schemas";

/** Terminal management as the console uses it: the fleet list, one terminal's detail, key and state actions. */

export const terminalListResponseSchema = z
  .object({
    terminals: z.array(terminalHealthSchema),
    /** The newest position of central's change feed (compare with a terminal's ackedCursor). */
    feedHead: feedCursorSchema,
    emergency: emergencyStateSchema,
    /** Central's clock when it answered: ages ("seen 12 s ago") are computed against it. */
    generatedAt: isoTimestampSchema,
  })
  .meta({ id: "TerminalListResponse" });
export type TerminalListResponse = z.infer<typeof terminalListResponseSchema>;

/** One exchange central recorded for a terminal (push, pull, acknowledge...). */
export const syncHistoryEntrySchema = z
  .object({
    id: uuidSchema,
    kind: z.string(),
    startedAt: isoTimestampSchema,
    finishedAt: isoTimestampSchema.nullable(),
    changes: z.number().int().nonnegative(),
    conflicts: z.number().int().nonnegative(),
    error: z.string().nullable(),
  })
  .meta({ id: "SyncHistoryEntry" });
export type SyncHistoryEntry = z.infer<typeof syncHistoryEntrySchema>;

export const terminalDetailResponseSchema = z
  .object({
    terminal: terminalHealthSchema,
    /** Outbox counts per table from its last heartbeat. */
    tables: z.partialRecord(syncTableSchema, tableCountsSchema),
    /** Newest first, at most 50. */
    history: z.array(syncHistoryEntrySchema),
    /** At most 100, as last reported. */
    failedChanges: z.array(failedChangeSchema),
  })
  .meta({ id: "TerminalDetailResponse" });
export type TerminalDetailResponse = z.infer<typeof terminalDetailResponseSchema>;

/** The longest grace period an old key may keep working after a rotation: seven days. */
export const MAX_KEY_GRACE_SECONDS = 7 * 24 * 60 * 60;

export const rotateKeyRequestSchema = z
  .object({
    /** How long the old key keeps working (0: it stops at once and its sockets are dropped). */
    graceSeconds: z.number().int().min(0).max(MAX_KEY_GRACE_SECONDS).default(0),
  })
  .strict()
  .meta({ id: "RotateKeyRequest" });

export const rotateKeyResponseSchema = z
  .object({
    terminalId: uuidSchema,
    /** Shown this once; central keeps only a hash. */
    key: z.string(),
    /** When the previous key stops working; null when it stopped at once. */
    previousKeyValidUntil: isoTimestampSchema.nullable().optional(),
  })
  .meta({ id: "RotateKeyResponse" });
export type RotateKeyResponse = z.infer<typeof rotateKeyResponseSchema>;

/** Body of disable and pause (the reason goes into the audit log). */
export const terminalReasonRequestSchema = z
  .object({ reason: z.string().trim().pipe(textSchema(500)).optional() })
  .strict()
  .meta({ id: "TerminalReasonRequest" });

/** Answer of disable, enable, pause and resume. */
export const terminalStateResponseSchema = z
  .object({
    terminalId: uuidSchema,
    status: z.enum(TERMINAL_STATUSES),
    paused: z.boolean().optional(),
  })
  .meta({ id: "TerminalStateResponse" });

export const storeListResponseSchema = z.object({ stores: z.array(storeSchema) }).meta({ id: "StoreListResponse" });
