import { z } from "zod";
import { uuidSchema } from "../ids";
import { isoTimestampSchema } from "./common";
import { GUARDED_ACTIONS, operatorRoleSchema } from "./operator-roles";
import { nextCursorSchema, pageCursorSchema, pageLimitSchema } from "./paging";

/**
 * The audit log: one entry per operator action (every guarded action, allowed or not, and
 * every sign-in attempt), kept in PostgreSQL. GET /api/audit, newest first.
 */

export const AUDIT_ACTIONS = [...GUARDED_ACTIONS, "session.sign-in", "session.sign-out"] as const;
export const auditActionSchema = z.enum(AUDIT_ACTIONS, {
  message: "action must be one of the audit actions (docs/control-center-api.md)",
});
export type AuditAction = z.infer<typeof auditActionSchema>;

/** success: done; denied: the role was too weak (403) or sign-in refused; failed: any other error. */
export const AUDIT_OUTCOMES = ["success", "denied", "failed"] as const;
export const auditOutcomeSchema = z.enum(AUDIT_OUTCOMES, { message: "outcome must be success, denied or failed" });
export type AuditOutcome = z.infer<typeof auditOutcomeSchema>;

export const AUDIT_TARGET_TYPES = [
  "terminal",
  "conflict",
  "schedule",
  "store",
  "product",
  "stock",
  "operator",
  "sync",
  "session",
] as const;
export const auditTargetTypeSchema = z.enum(AUDIT_TARGET_TYPES, {
  message: `targetType must be one of ${AUDIT_TARGET_TYPES.join(", ")}`,
});

export const auditEntrySchema = z
  .object({
    id: uuidSchema,
    at: isoTimestampSchema,
    operator: z.object({
      /** null for the built-in owner (ADMIN_TOKEN), and for a sign-in that matched no operator. */
      id: uuidSchema.nullable(),
      /** "owner" for ADMIN_TOKEN; "(unknown)" for a refused sign-in. */
      name: z.string(),
      role: operatorRoleSchema.nullable(),
    }),
    action: auditActionSchema,
    target: z.object({
      type: auditTargetTypeSchema,
      /** The terminal, conflict, schedule... id; null for fleet-wide actions (emergency stop). */
      id: z.string().nullable(),
      /** A human name where there is one (terminal name or code, operator name). */
      label: z.string().nullable().optional(),
    }),
    outcome: auditOutcomeSchema,
    /** The operator's reason where one is asked for (emergency stop, disable, pause, resolution). */
    reason: z.string().nullable(),
    /** The error message for denied / failed entries; a short summary otherwise. */
    detail: z.string().nullable().optional(),
  })
  .meta({ id: "AuditEntry" });
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuerySchema = z
  .object({
    limit: pageLimitSchema,
    cursor: pageCursorSchema.optional(),
    /** Operator name, exact. */
    operator: z.string().min(1).max(64).optional(),
    action: auditActionSchema.optional(),
    targetType: auditTargetTypeSchema.optional(),
    targetId: z.string().min(1).max(200).optional(),
    outcome: auditOutcomeSchema.optional(),
    /** Entries at or after this time. */
    since: isoTimestampSchema.optional(),
    /** Entries before this time. */
    until: isoTimestampSchema.optional(),
  })
  .strict()
  .meta({ id: "AuditQuery" });
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditPageSchema = z
  .object({ entries: z.array(auditEntrySchema), nextCursor: nextCursorSchema })
  .meta({ id: "AuditPage" });
export type AuditPage = z.infer<typeof auditPageSchema>;
