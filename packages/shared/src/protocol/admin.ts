import { z } from "zod";
import { OPERATOR_RESOLUTIONS, TERMINAL_STATUSES } from "../statuses";
import { conflictIdSchema, storeIdSchema, terminalIdSchema, uuidSchema } from "../ids";
import { intColumnOf, textColumnOf, textSchema } from "../row-schemas";

export const createStoreRequestSchema = z
  .object({ id: uuidSchema.optional(), name: z.string().trim().min(1, "name is required").pipe(textSchema(200)) })
  .meta({ id: "CreateStoreRequest" });

export const storeSchema = z.object({ id: uuidSchema, name: z.string() }).meta({ id: "Store" });
export type Store = z.infer<typeof storeSchema>;

/** A terminal's human code: lower-case letters, digits and dashes, e.g. `home-office-01`. */
export const terminalCodeSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    "code must be lower-case letters, digits and dashes (max 63), e.g. home-office-01",
  );

export const createTerminalRequestSchema = z
  .object({
    id: uuidSchema.optional(),
    name: z.string().trim().min(1, "name is required").pipe(textSchema(200)),
    storeId: storeIdSchema,
    code: terminalCodeSchema.optional(),
  })
  .meta({ id: "CreateTerminalRequest" });

export const terminalSchema = z
  .object({
    id: terminalIdSchema,
    name: z.string(),
    storeId: storeIdSchema,
    status: z.enum(TERMINAL_STATUSES),
    code: z.string().nullable().optional(),
  })
  .meta({ id: "Terminal" });

export const createTerminalResponseSchema = z
  .object({
    terminal: terminalSchema,
    /** Shown this once; central keeps only a hash. */
    key: z.string(),
  })
  .meta({ id: "CreateTerminalResponse" });
export type CreateTerminalResponse = z.infer<typeof createTerminalResponseSchema>;

export const resolveConflictRequestSchema = z
  .object({
    conflictId: conflictIdSchema,
    resolution: z.enum(OPERATOR_RESOLUTIONS),
    resolvedData: z.record(z.string(), z.unknown()).optional(),
    /** Why (kept in the audit log and on the conflict). */
    reason: z.string().trim().pipe(textSchema(500)).optional(),
  })
  .refine((r) => r.resolution !== "CUSTOM" || r.resolvedData !== undefined, {
    message: "resolvedData is required when resolution is CUSTOM",
    path: ["resolvedData"],
  })
  .meta({ id: "ResolveConflictRequest" });

/** Central's catalogue writes obey the same column domains as a push (the policy's, via the row schemas). */
export const upsertProductRequestSchema = z
  .object({
    id: uuidSchema.optional(),
    sku: z.string().trim().min(1, "sku is required").pipe(textColumnOf("products", "sku")),
    name: z.string().trim().min(1, "name is required").pipe(textColumnOf("products", "name")),
    priceCents: intColumnOf("products", "price_cents"),
    taxRateBp: intColumnOf("products", "tax_rate_bp").optional(),
    categoryId: uuidSchema.nullish(),
    brandId: uuidSchema.nullish(),
    active: z.boolean().optional(),
  })
  .meta({ id: "UpsertProductRequest" });
