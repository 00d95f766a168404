import { z } from "zod";
import { SYNC_TABLES, type SyncTable } from "../sync-policy";

export const syncTableSchema = z.enum(SYNC_TABLES, {
  message: `entityType must be one of ${SYNC_TABLES.join(", ")}`,
});

/** The sync guides' name of a table's entity: PascalCase and singular (`sale_orders` → `SaleOrder`). */
export function entityNameOf(table: SyncTable): string {
  const singular = table.endsWith("ies") ? `${table.slice(0, -3)}y` : table.replace(/s$/, "");
  return singular.replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase());
}

/** Entity name → table, for every synced table. */
export const ENTITY_NAMES: Readonly<Record<string, SyncTable>> = Object.fromEntries(
  SYNC_TABLES.map((t) => [entityNameOf(t), t]),
);

/**
 * `entityType` as terminals and scripts send it: the table name, or the entity name the sync
 * guides use (`SaleOrder`), which is read as its table. Central always answers table names.
 */
export const entityTypeInputSchema = z.union(
  [syncTableSchema, z.enum(Object.keys(ENTITY_NAMES) as [string, ...string[]]).transform((n) => ENTITY_NAMES[n]!)],
  { message: `entityType must be one of ${SYNC_TABLES.join(", ")} (or ${Object.keys(ENTITY_NAMES).join(", ")})` },
);
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
