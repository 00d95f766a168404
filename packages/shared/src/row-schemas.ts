import { z } from "zod";
import { intRange, textMax, type ColumnSpec } from "./policy-columns";
import { DEFAULT_SYNC_POLICY, SYNC_TABLES, type SyncTable, type TablePolicy } from "./sync-policy";

/**
 * zod schemas for the rows of every synced table, derived from the policy's column specs:
 * each column's type and domain (policy-columns.ts) is enforced here and nowhere else. Wire
 * rows are keyed by column name (snake_case), exactly as the tables are. A message names the
 * rule; describeZodError puts the column in front of it (`price_cents: must be at least 0`).
 */

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text PostgreSQL can store and UTF-8 can encode: no NUL, no lone UTF-16 surrogate (JSON can
 * carry "\ud800"; encoding it to UTF-8 would fail or silently turn it into U+FFFD), at most
 * `max` code units.
 */
export function textSchema(max: number): z.ZodString {
  return z
    .string({ error: unlessMissing("must be text") })
    .max(max, { message: `must be at most ${max} characters long` })
    .refine((s) => !s.includes("\u0000"), { message: "must not contain a NUL character (\\u0000)" })
    .refine((s) => !LONE_SURROGATE.test(s), { message: "must be valid UTF-8 text (it has a lone UTF-16 surrogate)" });
}

/** A UUID in the one spelling PostgreSQL answers with (lower case), so ids compare equal everywhere. */
export const canonicalUuid = (message = "must be a UUID") =>
  z.uuid({ error: unlessMissing(message) }).transform((s) => s.toLowerCase());

/** An error message for a value that is there but wrong; a missing one "is required". */
export function unlessMissing(message: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? "is required" : message);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by `n` ASCII digits of `v` from `at`; -1 when one is not a digit. */
function digitsAt(v: string, at: number, n: number): number {
  let x = 0;
  for (let i = at; i < at + n; i++) {
    const c = v.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    x = x * 10 + c;
  }
  return x;
}

/**
 * The calendar date of an ISO timestamp exists (JavaScript turns 30 February into 1 March;
 * PostgreSQL refuses it). Read by character codes: a regex exec and a Date per value cost
 * central twice Date.parse itself, for every timestamp of every pushed row. Answers exactly as
 * the Date.UTC round trip it replaces (test/real-date.test.ts), years 0–99 refused included
 * (Date.UTC reads them as 1900–1999).
 */
export function isRealDate(v: string): boolean {
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45) return false; // "YYYY-MM-DD…"
  const y = digitsAt(v, 0, 4);
  const mo = digitsAt(v, 5, 2);
  const d = digitsAt(v, 8, 2);
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || Number.isNaN(Date.parse(v))) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!);
}

function intSchema(type: { kind: "int"; min?: number; max?: number }): z.ZodNumber {
  const { min, max } = intRange(type);
  const range = `must be an integer from ${min} to ${max}`;
  return z
    .number({ error: unlessMissing(range) })
    .int({ message: range })
    .min(min, { message: range })
    .max(max, { message: range });
}

/** The ISO-8601 forms a row's timestamp column takes (fast-parse.ts tests values with the same pattern). */
export const ROW_TIMESTAMP_FORMAT = { offset: true, local: true } as const;

/** One column's schema, built from its spec (domain included). */
export function columnSchema(col: ColumnSpec): z.ZodType {
  let s: z.ZodType;
  switch (col.type.kind) {
    case "uuid":
      s = canonicalUuid(`${col.name} must be a UUID`);
      break;
    case "text":
      s = textSchema(textMax(col.type));
      break;
    case "int":
      s = intSchema(col.type);
      break;
    case "bool":
      // SQLite has no boolean: 0/1 arrive from terminals and are normalised here.
      s = z.union([z.boolean(), z.literal(0), z.literal(1)]).transform((v) => v === true || v === 1);
      break;
    case "timestamp":
      s = z.iso
        .datetime({ ...ROW_TIMESTAMP_FORMAT, error: unlessMissing(`${col.name} must be an ISO-8601 timestamp`) })
        .refine(isRealDate, { message: "must be a date that exists" });
      break;
    case "enum":
      s = z.enum(col.type.values as [string, ...string[]], {
        error: unlessMissing(`${col.name} must be one of ${col.type.values.join(", ")}`),
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

function specOf(table: SyncTable, column: string): ColumnSpec {
  const col = DEFAULT_SYNC_POLICY[table].columns.find((c) => c.name === column);
  if (!col) throw new Error(`sync policy: ${table} has no column ${column}`);
  return col;
}

/** The domain of a default-policy text column (admin request bodies reuse them). */
export function textColumnOf(table: SyncTable, column: string): z.ZodString {
  const { type } = specOf(table, column);
  if (type.kind !== "text") throw new Error(`sync policy: ${table}.${column} is not text`);
  return textSchema(textMax(type));
}

/** The domain of a default-policy int column (admin request bodies reuse them). */
export function intColumnOf(table: SyncTable, column: string): z.ZodNumber {
  const { type } = specOf(table, column);
  if (type.kind !== "int") throw new Error(`sync policy: ${table}.${column} is not an int`);
  return intSchema(type);
}

/** A row as it travels: column name → JSON value. */
export type WireRow = Record<string, unknown>;
