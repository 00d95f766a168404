import { z } from "zod";
import { terminalIdSchema } from "../ids";

export const syncTypeSchema = z.enum(["FULL", "INCREMENTAL"]);
export const triggerReasonSchema = z.enum(["SERVER_RESTART", "MANUAL", "SCHEDULED", "DATA_CHANGED"]);

export const terminalRegisterSchema = z.object({ terminalId: terminalIdSchema });
export const syncTriggerSchema = z.object({
  type: syncTypeSchema,
  terminalId: terminalIdSchema,
  timestamp: z.iso.datetime(),
  reason: triggerReasonSchema,
});
export const syncAckSchema = z.object({
  terminalId: terminalIdSchema,
  type: syncTypeSchema,
  /**
   * The `timestamp` of the trigger the agent synced for. Central keeps a newer trigger that
   * arrived during that sync pending; without it the ack clears whatever is pending.
   */
  timestamp: z.iso.datetime().optional(),
});
export const syncPauseSchema = z.object({
  reason: z.string().optional(),
  /** Central-wide emergency stop, or an operator's pause of this one terminal (older centrals send neither). */
  kind: z.enum(["EMERGENCY_STOP", "TERMINAL_PAUSED"]).optional(),
  since: z.string().nullable().optional(),
  by: z.string().nullable().optional(),
});
export const syncResumeSchema = z.object({}).strip();

/** Event name → payload schema; both the hub and the agent type their sockets from this. */
export const socketEvents = {
  "terminal:register": terminalRegisterSchema,
  "sync:trigger": syncTriggerSchema,
  "sync:ack": syncAckSchema,
  "sync:pause": syncPauseSchema,
  "sync:resume": syncResumeSchema,
} as const;
export type SocketEventName = keyof typeof socketEvents;
export type SocketPayload<E extends SocketEventName> = z.infer<(typeof socketEvents)[E]>;
