import { z } from "zod";
import { SYNC_TABLES } from "../sync-policy";

export const syncTableSchema = z.enum(SYNC_TABLES, {
  message: `entityType must be one of ${SYNC_TABLES.join(", ")}`,
});
export const operationSchema = z.enum(["CREATE", "UPDATE", "DELETE"]);
export type Operation = z.infer<typeof operationSchema>;
export const createdInModeSchema = z.enum(["ONLINE", "OFFLINE"]);
export const isoTimestampSchema = z.iso.datetime({ offset: true });
export const prioritySchema = z.number().int().min(1).max(10);

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      retryable: z.boolean(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "ErrorBody" });
