import type { ColumnSpec, TablePolicy } from "@tillsync/shared";
import { arrayLiteral } from "./array-literal";

/**
 * The SQL text the push writes synced tables with, generated from the sync policy: one
 * statement per table and kind of write, whatever the batch size, reading the rows from
 * `unnest` of typed arrays (no round trip per row). Pure, so the generated text is tested
 * on its own; store/synced-tables.ts runs it.
 */

export type Row = Record<string, unknown>;

/** Names come from the policy (code, not input); this only keeps a typo from becoming SQL. */
function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`sync policy: ${JSON.stringify(name)} is not a plain SQL name`);
  return name;
}

function arrayType(col: ColumnSpec): string {
  switch (col.type.kind) {
    case "uuid":
      return "uuid[]";
    case "int":
      return "int4[]";
    case "bool":
      return "bool[]";
    case "timestamp":
      return "timestamptz[]";
    case "text":
    case "enum":
      return "text[]";
  }
}

function selectExpr(col: ColumnSpec): string {
  return col.type.kind === "enum" ? `u.${ident(col.name)}::${ident(col.type.pgType)}` : `u.${ident(col.name)}`;
}

/** The policy's specs of these columns, in this order. */
export function columnsOf(policy: TablePolicy, names: string[]): ColumnSpec[] {
  return names.map((n) => {
    const c = policy.columns.find((x) => x.name === n);
    if (!c) throw new Error(`${policy.table} has no column ${n}`);
    return c;
  });
}

function scalarType(col: ColumnSpec): string {
  return col.type.kind === "enum" ? ident(col.type.pgType) : arrayType(col).slice(0, -2);
}

/** Whether every row holds the same value in `name` (absent counts as null). */
function sameInAll(rows: Row[], name: string): boolean {
  const first = rows[0]![name] ?? null;
  for (let i = 1; i < rows.length; i++) if ((rows[i]![name] ?? null) !== first) return false;
  return true;
}

/**
 * `SELECT … FROM unnest($1::type[], …)` over these rows, with one array parameter per column,
 * given as an array literal (array-literal.ts). A column other than `id` that holds one value
 * in every row (the terminal's store and terminal ids in a push, most enum columns) is one
 * scalar parameter instead of an array of copies: less to encode, send and parse.
 */
export function unnestSource(cols: ColumnSpec[], rows: Row[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const arrays: string[] = [];
  const names: string[] = [];
  // The ids keep the unnest (a row count) when every other column is one value.
  const scalars = rows.length > 1 && cols.some((c) => c.name === "id");
  const select = cols.map((c) => {
    if (scalars && c.name !== "id" && sameInAll(rows, c.name)) {
      params.push(rows[0]![c.name] ?? null);
      return `$${params.length}::${scalarType(c)} AS ${ident(c.name)}`;
    }
    params.push(arrayLiteral(rows.map((r) => r[c.name] ?? null)));
    arrays.push(`$${params.length}::${arrayType(c)}`);
    names.push(ident(c.name));
    return selectExpr(c);
  });
  return {
    sql: `SELECT ${select.join(", ")} FROM unnest(${arrays.join(", ")}) AS u(${names.join(", ")})`,
    params,
  };
}

/**
 * Inserts new rows and updates existing ones, bumping `version` on update (and `updated_at`
 * where central's copy has one); returns each row's id and version. For a terminal's push
 * (`writer` "terminal") an update never sets a central-owned column (the policy's
 * centralFields): the push decision already leaves them out, and the statement keeps them
 * central's even for a row that appeared after the decision read it. A new row takes them.
 */
export function upsertSql(
  policy: TablePolicy,
  cols: ColumnSpec[],
  source: string,
  writer: "terminal" | "central" = "central",
): string {
  const kept = new Set(writer === "terminal" ? (policy.centralFields ?? []) : []);
  const sets = cols
    .filter((c) => c.name !== "id" && !kept.has(c.name))
    .map((c) => `${ident(c.name)} = excluded.${ident(c.name)}`)
    .concat(["version = t.version + 1"], policy.centralUpdatedAt ? ["updated_at = now()"] : []);
  return `INSERT INTO ${ident(policy.table)} AS t (${cols.map((c) => ident(c.name)).join(", ")}) ${source}
       ON CONFLICT (id) DO UPDATE SET ${sets.join(", ")}
       RETURNING id, version`;
}

/**
 * What the insert-first and append statements answer: one row, `n` rows written and, unless
 * they were all `rowCount` of the statement's rows at version 1 (a batch of new rows, the
 * usual case), the ids and versions of those written (else null: the caller knows its ids).
 * One row instead of one per row spares PostgreSQL writing and central parsing ~1,000 rows a
 * batch.
 */
export interface WrittenRows {
  n: number;
  ids: string[] | null;
  versions: number[] | null;
}

/**
 * The answer (WrittenRows) over `ins`, a CTE returning the `id` (and, `versioned`, the
 * `version`) of the rows written; an appended row's version is 1 (versions null).
 */
function writtenRows(rowCount: string, versioned: boolean): string {
  const all = `count(*) = ${rowCount}::int${versioned ? " AND coalesce(bool_and(ins.version = 1), true)" : ""}`;
  return `SELECT count(*)::int AS n,
              CASE WHEN ${all} THEN NULL ELSE coalesce(array_agg(ins.id), '{}') END AS ids,
              ${versioned ? `CASE WHEN ${all} THEN NULL ELSE coalesce(array_agg(ins.version), '{}') END` : "NULL::int4[]"} AS versions
         FROM ins`;
}

/**
 * Inserts rows whose ids the table does not hold yet and leaves the rest alone; answers which
 * it inserted, with their versions (WrittenRows; the push's insert-first path: a row missing
 * from the answer was there already and takes the locked path). `rowCount`: the placeholder
 * of the number of rows `source` gives.
 */
export function insertSql(policy: TablePolicy, cols: ColumnSpec[], source: string, rowCount: string): string {
  return `WITH ins AS (
         INSERT INTO ${ident(policy.table)} AS t (${cols.map((c) => ident(c.name)).join(", ")}) ${source}
         ON CONFLICT (id) DO NOTHING
         RETURNING id, version
       )
       ${writtenRows(rowCount, true)}`;
}

/**
 * Appends rows of an append-only table, skipping ids it already holds; answers which it
 * inserted (WrittenRows, `rowCount` as for insertSql). For a ledger (`policy.ledger`) the
 * same statement adds each inserted row's delta to its counter row, creating that row on first use: a delta moves the counter only for a
 * row this statement actually inserted, so an entry pushed again (under any change id) never
 * counts twice (G1, G4). `counter` is the policy of the ledger's counter table.
 */
export function appendSql(
  policy: TablePolicy,
  counter: TablePolicy | undefined,
  cols: ColumnSpec[],
  source: string,
  rowCount: string,
): string {
  const insert = `INSERT INTO ${ident(policy.table)} AS t (${cols.map((c) => ident(c.name)).join(", ")}) ${source}
         ON CONFLICT (id) DO NOTHING`;
  const l = policy.ledger;
  if (!l)
    return `WITH ins AS (\n         ${insert}\n         RETURNING id\n       )\n       ${writtenRows(rowCount, false)}`;
  if (!counter || counter.table !== l.counterTable)
    throw new Error(`${policy.table} is a ledger of ${l.counterTable}: pass that table's policy`);
  const mine = Object.keys(l.key).map(ident);
  const theirs = Object.values(l.key).map(ident);
  const table = ident(counter.table);
  const n = ident(l.counterColumn);
  const sets = [`${n} = ${table}.${n} + excluded.${n}`, `version = ${table}.version + 1`].concat(
    counter.centralUpdatedAt ? ["updated_at = now()"] : [],
  );
  // ORDER BY: concurrent pushes touching the same counters lock them in one order, so they
  // queue behind each other instead of deadlocking.
  return `WITH ins AS (
         ${insert}
         RETURNING id, ${[...mine, ident(l.deltaColumn)].join(", ")}
       ), counter AS (
         INSERT INTO ${table} (${[...theirs, n].join(", ")})
         SELECT ${mine.join(", ")}, sum(${ident(l.deltaColumn)})::int FROM ins GROUP BY ${mine.join(", ")}
         ORDER BY ${mine.join(", ")}
         ON CONFLICT (${theirs.join(", ")}) DO UPDATE
           SET ${sets.join(",\n               ")}
       )
       ${writtenRows(rowCount, false)}`;
}
