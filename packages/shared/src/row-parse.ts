import { fastRowParser, type FastParse } from "./fast-parse";
import { rowSchemaOf, type RowSchema } from "./row-schemas";
import type { TablePolicy } from "./sync-policy";

/** What `parseRow` answers: the row schema's own safeParse result. */
export type RowParseResult = ReturnType<RowSchema["safeParse"]>;

interface RowParsers {
  schema: RowSchema;
  fast: FastParse<Record<string, unknown>>;
}

/** Built once per table policy object (a policy in use is long-lived; the WeakMap lets a test's go). */
const parsers = new WeakMap<Pick<TablePolicy, "columns">, RowParsers>();
function parsersOf(p: Pick<TablePolicy, "columns">): RowParsers {
  let f = parsers.get(p);
  if (!f) parsers.set(p, (f = { schema: rowSchemaOf(p), fast: fastRowParser(p) }));
  return f;
}

/** The table's zod row schema (rowSchemaOf), built once per table policy. */
export function rowSchemaFor(p: Pick<TablePolicy, "columns">): RowSchema {
  return parsersOf(p).schema;
}

/**
 * A row as the table's zod row schema parses it: through the fast path when it takes the row
 * (fast-parse.ts: exactly zod's output), else through zod, whose answer and messages stand.
 * Every row a side receives from the other goes through here (a push's changes at central, a
 * pull's page and a snapshot's lines at the agent): zod alone was 7–9 % of the CPU of each.
 */
export function parseRow(p: Pick<TablePolicy, "columns">, input: unknown): RowParseResult {
  const f = parsersOf(p);
  const data = f.fast(input);
  return data ? ({ success: true, data } as RowParseResult) : f.schema.safeParse(input);
}
