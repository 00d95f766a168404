import type { PoolClient } from "pg";
import type { ColumnSpec, TablePolicy } from "@tillsync/shared";

/**
 * Set-based SQL for the push path: one statement per table and kind of write, whatever the
 * batch size, using `unnest` of typed arrays (no round trip per row).
 */

export type Row = Record<string, unknown>;

/** Tables whose central copy has `updated_at` (the ones terminals receive). */
const HAS_UPDATED_AT = new Set(["categories", "brands", "products", "customers", "inventory_items"]);

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
  return col.type.kind === "enum" ? `u.${col.name}::${col.type.pgType}` : `u.${col.name}`;
}

function columnsOf(policy: TablePolicy, names: string[]): ColumnSpec[] {
  return names.map((n) => {
    const c = policy.columns.find((x) => x.name === n);
    if (!c) throw new Error(`${policy.table} has no column ${n}`);
    return c;
  });
}

function unnestSource(cols: ColumnSpec[], rows: Row[]): { sql: string; params: unknown[] } {
  const params = cols.map((c) => rows.map((r) => (r[c.name] === undefined ? null : r[c.name])));
  const args = cols.map((c, i) => `$${i + 1}::${arrayType(c)}`).join(", ");
  return {
    sql: `SELECT ${cols.map(selectExpr).join(", ")} FROM unnest(${args}) AS u(${cols.map((c) => c.name).join(", ")})`,
    params,
  };
}

/** Rows grouped by the set of columns they carry, so absent columns keep their defaults. */
function groupByColumns(rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = Object.keys(r)
      .filter((k) => r[k] !== undefined && k !== "version")
      .sort()
      .join(",");
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return groups;
}

/** Central's current rows for these ids, locked until the transaction ends. */
export async function lockRows(client: PoolClient, table: string, ids: string[]): Promise<Map<string, Row>> {
  if (ids.length === 0) return new Map();
  const { rows } = await client.query<Row>(`SELECT * FROM ${table} WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [
    ids,
  ]);
  return new Map(rows.map((r) => [String(r.id), r]));
}

export async function existingIds(client: PoolClient, table: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${table} WHERE id = ANY($1::uuid[])`, [ids]);
  return new Set(rows.map((r) => r.id));
}

/**
 * Inserts new rows and updates existing ones, bumping `version` on update. Returns each
 * row's version afterwards.
 */
export async function upsertRows(client: PoolClient, policy: TablePolicy, rows: Row[]): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  for (const [key, group] of groupByColumns(rows)) {
    const cols = columnsOf(policy, key.split(","));
    const src = unnestSource(cols, group);
    const sets = cols
      .filter((c) => c.name !== "id")
      .map((c) => `${c.name} = excluded.${c.name}`)
      .concat(["version = t.version + 1"], HAS_UPDATED_AT.has(policy.table) ? ["updated_at = now()"] : []);
    const { rows: out } = await client.query<{ id: string; version: number }>(
      `INSERT INTO ${policy.table} AS t (${cols.map((c) => c.name).join(", ")}) ${src.sql}
       ON CONFLICT (id) DO UPDATE SET ${sets.join(", ")}
       RETURNING id, version`,
      src.params,
    );
    for (const r of out) versions.set(r.id, r.version);
  }
  return versions;
}

export async function deleteRows(client: PoolClient, table: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query(`DELETE FROM ${table} WHERE id = ANY($1::uuid[])`, [ids]);
}

/**
 * Appends stock adjustments and applies each one's delta to central stock exactly once: the
 * delta moves stock only for rows this statement actually inserted (an id already present
 * means the adjustment was applied before, under some earlier change).
 */
export async function appendAdjustments(
  client: PoolClient,
  policy: TablePolicy,
  rows: Row[],
): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  for (const [key, group] of groupByColumns(rows)) {
    const cols = columnsOf(policy, key.split(","));
    const src = unnestSource(cols, group);
    const { rows: out } = await client.query<{ id: string }>(
      `WITH ins AS (
         INSERT INTO inventory_adjustments AS t (${cols.map((c) => c.name).join(", ")}) ${src.sql}
         ON CONFLICT (id) DO NOTHING
         RETURNING id, store_id, product_id, delta
       ), stock AS (
         INSERT INTO inventory_items (store_id, product_id, quantity)
         SELECT store_id, product_id, sum(delta)::int FROM ins GROUP BY store_id, product_id
         ORDER BY store_id, product_id
         ON CONFLICT (store_id, product_id) DO UPDATE
           SET quantity = inventory_items.quantity + excluded.quantity,
               version = inventory_items.version + 1,
               updated_at = now()
       )
       SELECT id FROM ins`,
      src.params,
    );
    for (const r of out) versions.set(r.id, 1);
  }
  return versions;
}

/** Constraint and data errors belong to a row, not to the batch: isolate and reject them. */
export function isRowLevelError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return code.startsWith("22") || code.startsWith("23");
}
