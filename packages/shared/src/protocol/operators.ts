import { z } from "zod";
import { uuidSchema } from "../ids";
import { isoTimestampSchema } from "./common";
import { operatorRoleSchema } from "./operator-roles";

/** Named operators of the control center (admin only): created with a token shown once, revoked. */

export const operatorNameSchema = z
  .string()
  .trim()
  .min(1, "name is required")
  .max(64, "name must be at most 64 characters")
  .regex(/^[\p{L}\p{N} ._@-]+$/u, "name may contain letters, digits, spaces and . _ @ -");

export const operatorSchema = z
  .object({
    id: uuidSchema,
    name: z.string(),
    role: operatorRoleSchema,
    createdAt: isoTimestampSchema,
    /** Set once revoked: its token and every session it opened stop working at once. */
    revokedAt: isoTimestampSchema.nullable(),
    lastSignInAt: isoTimestampSchema.nullable().optional(),
  })
  .meta({ id: "Operator" });
export type Operator = z.infer<typeof operatorSchema>;

export const createOperatorRequestSchema = z
  .object({ name: operatorNameSchema, role: operatorRoleSchema })
  .strict()
  .meta({ id: "CreateOperatorRequest" });
export type CreateOperatorRequest = z.infer<typeof createOperatorRequestSchema>;

export const createOperatorResponseSchema = z
  .object({
    operator: operatorSchema,
    /** Shown this once; central keeps only a hash. */
    token: z.string().min(16),
  })
  .meta({ id: "CreateOperatorResponse" });
export type CreateOperatorResponse = z.infer<typeof createOperatorResponseSchema>;

export const operatorListResponseSchema = z
  .object({ operators: z.array(operatorSchema) })
  .meta({ id: "OperatorListResponse" });

export const operatorResponseSchema = z.object({ operator: operatorSchema }).meta({ id: "OperatorResponse" });
