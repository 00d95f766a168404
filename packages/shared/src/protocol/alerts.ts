import { z } from "zod";
import { terminalIdSchema, uuidSchema } from "../ids";

/**
 * Alerts central POSTs to ALERT_WEBHOOK_URL (SPEC §5): one JSON body per event, signed with
 * HMAC-SHA256 over the raw body with ALERT_WEBHOOK_SECRET, in `x-tillsync-signature:
 * sha256=<hex>`. Receivers verify the signature, then switch on `type`.
 */
export const ALERT_TYPES = [
  /** The heartbeat sweep turned the terminal OFFLINE (no heartbeat for HEARTBEAT_TIMEOUT_S). */
  "TERMINAL_OFFLINE",
  /** A terminal that was OFFLINE sent a heartbeat again. */
  "TERMINAL_ONLINE",
  /** Its last heartbeat had more pending or failed changes than the thresholds. */
  "SYNC_BACKLOG",
  /** Its agent reported its circuit breaker open. */
  "CIRCUIT_OPEN",
  /** A push left conflicts that wait for an operator (MANUAL_MERGE). */
  "CONFLICTS_WAITING",
  /** A schedule's run ended FAILED or PARTIAL. */
  "SCHEDULED_RUN_FAILED",
  "EMERGENCY_STOP",
  "EMERGENCY_RESUME",
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const alertSchema = z
  .object({
    /** Unique per event: a receiver that sees the same id twice (a retried delivery) drops it. */
    id: uuidSchema,
    type: z.enum(ALERT_TYPES),
    severity: z.enum(["info", "warning", "critical"]),
    /** When central noticed it (ISO-8601 UTC). */
    at: z.string(),
    message: z.string(),
    terminalId: terminalIdSchema.nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "Alert" });
export type Alert = z.infer<typeof alertSchema>;

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const ALERT_SIGNATURE_HEADER = "x-tillsync-signature";
