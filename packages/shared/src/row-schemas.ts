import { z } from "zod";
import { DEFAULT_SYNC_POLICY, SYNC_TABLES, type ColumnSpec, type SyncTable, type TablePolicy } from "./sync-policy";

/**
 * zod schemas for the rows of every synced table, derived from the policy's column specs.
 * Wire rows are keyed by column name (snake_case), exactly as the tables are.
 */

function columnSchema(col: ColumnSpec): z.ZodType {
  let s: z.ZodType;
  switch (col.type.kind) {
    case "uuid":
      s = z.uuid({ message: `${col.name} must be a UUID` });
      break;
    case "text":
      s = z.string();
      break;
    case "int":
      s = z.number().int({ message: `${col.name} must be an integer` });
      break;
    case "bool":
      // SQLite has no boolean: 0/1 arrive from terminals and are normalised here.
      s = z.union([z.boolean(), z.literal(0), z.literal(1)]).transform((v) => v === true || v === 1);
      break;
    case "timestamp":
      s = z.iso.datetime({ offset: true, local: true, message: `${col.name} must be an ISO-8601 timestamp` });
      break;
    case "enum":
      s = z.enum(col.type.values as [string, ...string[]], {
        message: `${col.name} must be one of ${col.type.values.join(", ")}`,
      });
      break;
  }
  return col.optional ? s.nullish() : s;
}

/**
 * The row schema of one table's policy. `rowSchemas` holds the default policy's; this builds
 * one for any policy (a table a test's policy adds has no entry there).
 */
export function rowSchemaOf(policy: Pick<TablePolicy, "columns">) {
  const shape: Record<string, z.ZodType> = {};
  for (const col of policy.columns) shape[col.name] = columnSchema(col);
  // Unknown columns are dropped: a till may have extra local columns central does not know.
  return z.object(shape).strip();
}

export type RowSchema = ReturnType<typeof rowSchemaOf>;

export const rowSchemas = Object.fromEntries(
  SYNC_TABLES.map((t) => [t, rowSchemaOf(DEFAULT_SYNC_POLICY[t])]),
) as Record<SyncTable, RowSchema>;

/** A row as it travels: column name → JSON value. */
export type WireRow = Record<string, unknown>;
