import { z } from "zod";
import { feedCursorSchema, terminalIdSchema, uuidSchema } from "../ids";
import { errorBodySchema } from "./common";
import { acknowledgeRequestSchema, pullQuerySchema, pullResponseSchema } from "./pull";

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
  /**
   * The cursor the agent has applied, with the feed epoch it came from, for a central whose
   * register answer said `cursorOnAck`: it stands for that cycle's `sync:cursor` (one frame less
   * per till and round). The agent then asks for socket.io's acknowledgement, answered as
   * `sync:cursor` is; centrals before it strip the field, which is why the agent sends it only
   * when offered.
   */
  cursor: feedCursorSchema.optional(),
  epoch: uuidSchema.optional(),
});
export const syncPauseSchema = z.object({
  reason: z.string().optional(),
  /** Central-wide emergency stop, or an operator's pause of this one terminal (older centrals send neither). */
  kind: z.enum(["EMERGENCY_STOP", "TERMINAL_PAUSED"]).optional(),
  since: z.string().nullable().optional(),
  by: z.string().nullable().optional(),
});
export const syncResumeSchema = z.object({}).strip();

/**
 * Central's answer to `terminal:register`, through socket.io's acknowledgement. Centrals before
 * it do not answer at all, and agents before it do not ask (they emit without a callback).
 * `cursorAck`: this instance takes `sync:cursor` on this socket; `pull`: it answers `sync:pull`;
 * `cursorOnAck`: it takes the applied cursor on `sync:ack` (with the epoch, checked against the feed).
 */
export const registerAnswerSchema = z
  .object({ cursorAck: z.boolean().optional(), pull: z.boolean().optional(), cursorOnAck: z.boolean().optional() })
  .strip();
/**
 * `sync:cursor`: POST /api/sync/acknowledge's body over the socket the terminal already holds
 * (authenticated at its handshake), for a central whose register answer said `cursorAck`; the
 * agent asks for socket.io's acknowledgement and falls back to the HTTP acknowledge without it.
 */
export const syncCursorSchema = acknowledgeRequestSchema;
/**
 * Central's acknowledgement of `sync:cursor`, and of a `sync:ack` carrying a cursor: `ok` once the
 * cursor is recorded, as the HTTP acknowledge's 200. For `sync:ack`, `ok: false` with an error is
 * central's refusal (the cursor is not one of its feed: another epoch, beyond the head; a key no
 * longer valid), and `ok: false` without one its own failure: acknowledge the way it was done before.
 */
export const syncCursorAnswerSchema = z.object({ ok: z.boolean(), error: z.string().optional() }).strip();
/**
 * `sync:pull`: GET /api/sync/pull's query over the socket the terminal already holds, with its
 * terminal id (central answers only its own socket's terminal), for a central whose register
 * answer said `pull`. The agent asks for socket.io's acknowledgement and pulls over HTTP without it.
 */
export const syncPullSchema = pullQuerySchema.extend({ terminalId: terminalIdSchema }).strip();
/**
 * Central's acknowledgement of `sync:pull`: the page the HTTP pull would answer, or the error
 * body it would answer (a hold's 423, a feed reset's 409, an expired cursor's 410...), which the
 * agent treats exactly as over HTTP. `ok: false` without an error: pull over HTTP.
 */
export const syncPullAnswerSchema = z.union([
  z.object({ ok: z.literal(true), page: pullResponseSchema }).strip(),
  z
    .object({ ok: z.literal(false), error: errorBodySchema.shape.error.optional(), reason: z.string().optional() })
    .strip(),
]);
export type RegisterAnswer = z.infer<typeof registerAnswerSchema>;
export type SyncPullAnswer = z.infer<typeof syncPullAnswerSchema>;
export type SyncCursorAnswer = z.infer<typeof syncCursorAnswerSchema>;

/** Event name → payload schema; both the hub and the agent type their sockets from this. */
export const socketEvents = {
  "terminal:register": terminalRegisterSchema,
  "sync:trigger": syncTriggerSchema,
  "sync:ack": syncAckSchema,
  "sync:cursor": syncCursorSchema,
  "sync:pull": syncPullSchema,
  "sync:pause": syncPauseSchema,
  "sync:resume": syncResumeSchema,
} as const;
export type SocketEventName = keyof typeof socketEvents;
export type SocketPayload<E extends SocketEventName> = z.infer<(typeof socketEvents)[E]>;
