import type { ColumnSpec, TablePolicy } from "@tillsync/shared";
import { arrayLiteral } from "./array-literal";
import {
  appendSql,
  columnsOf,
  insertSql,
  unnestSource,
  upsertSql,
  type Row,
  type WrittenRows,
} from "./synced-table-sql";
import type { Queryable } from "./transaction";

export type { Row } from "./synced-table-sql";

/**
 * The synced tables (the ones the policy declares), read and written set-based for the push,
 * the pull and operator resolutions. Which table and columns comes from the policy passed in.
 */
export interface SyncedTables {
  /** Central's current rows for these ids, locked until the transaction ends. */
  lockRows(table: string, ids: string[]): Promise<Map<string, Row>>;
  /** The policy's columns of these rows as central holds them now (absent ids are missing). */
  readRows(policy: TablePolicy, ids: string[]): Promise<Map<string, Row>>;
  /**
   * Inserts or updates rows (version bumped on update); returns each row's version afterwards.
   * A terminal's rows (`writer` "terminal") never update central-owned columns (see upsertSql).
   */
  upsertRows(policy: TablePolicy, rows: Row[], writer?: "terminal" | "central"): Promise<Map<string, number>>;
  /** Inserts the rows whose ids are new (ids held already are skipped); returns each inserted row's version. */
  insertRows(policy: TablePolicy, rows: Row[]): Promise<Map<string, number>>;
  /**
   * Appends rows of an append-only table (ledger deltas applied once, see appendSql);
   * returns version 1 for each row it inserted, nothing for ids it already had.
   */
  appendRows(policy: TablePolicy, counter: TablePolicy | undefined, rows: Row[]): Promise<Map<string, number>>;
  deleteRows(table: string, ids: string[]): Promise<void>;
  /** A new version of a row without changing it, so the feed announces it again. */
  bumpVersion(table: string, id: string): Promise<void>;
}

/**
 * Rows grouped by the set of columns they carry, so absent columns keep their defaults. A
 * push's rows come in a few shapes, each with its keys in one order (the row schema's): a row
 * whose keys are the previous row's, in the same order, joins that row's group without a key
 * being built (~1,000 rows a batch; sorting each row's keys cost ~1 ms). A row holding
 * `version` or an undefined value is keyed by its other keys, sorted, as before.
 */
function groupByColumns(rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  let lastKeys: string[] = [];
  let lastGroup: Row[] | undefined;
  for (const r of rows) {
    let n = 0;
    let same = lastGroup !== undefined;
    let plain = true;
    for (const k in r) {
      if (k === "version" || r[k] === undefined) {
        plain = false;
        break;
      }
      if (same && k !== lastKeys[n]) same = false;
      n++;
    }
    if (plain && same && n === lastKeys.length) {
      lastGroup!.push(r);
      continue;
    }
    const keys = Object.keys(r);
    const key = plain
      ? keys.join(",")
      : keys
          .filter((k) => r[k] !== undefined && k !== "version")
          .sort()
          .join(",");
    let g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, (g = [r]));
    lastKeys = plain ? keys : [];
    lastGroup = plain ? g : undefined;
  }
  return groups;
}

/** One statement per column group of `rows`; the id and version of each row it returned. */
async function writeGroups(
  q: Queryable,
  policy: TablePolicy,
  rows: Row[],
  sqlOf: (cols: ColumnSpec[], source: string) => string,
): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  for (const [key, group] of groupByColumns(rows)) {
    const cols = columnsOf(policy, key.split(","));
    const src = unnestSource(cols, group);
    const { rows: out } = await q.query<{ id: string; version: number }>(sqlOf(cols, src.sql), src.params);
    for (const r of out) versions.set(r.id, r.version);
  }
  return versions;
}

/**
 * One insert-first or append statement per column group of `rows` (insertSql, appendSql);
 * the id and version of each row it wrote, from its one-row answer (WrittenRows).
 */
async function writeNewGroups(
  q: Queryable,
  policy: TablePolicy,
  rows: Row[],
  sqlOf: (cols: ColumnSpec[], source: string, rowCount: string) => string,
): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  for (const [key, group] of groupByColumns(rows)) {
    const cols = columnsOf(policy, key.split(","));
    const src = unnestSource(cols, group);
    src.params.push(group.length);
    const { rows: out } = await q.query<WrittenRows>(sqlOf(cols, src.sql, `$${src.params.length}`), src.params);
    const w = out[0]!;
    if (w.ids === null && w.n === group.length) for (const r of group) versions.set(String(r.id), 1);
    else (w.ids ?? []).forEach((id, i) => versions.set(id, w.versions?.[i] ?? 1));
  }
  return versions;
}

export function syncedTables(q: Queryable): SyncedTables {
  return {
    async lockRows(table, ids) {
      if (ids.length === 0) return new Map();
      // ORDER BY id: two transactions locking overlapping rows take them in one order (no deadlock).
      const { rows } = await q.query<Row>(`SELECT * FROM ${table} WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [
        arrayLiteral(ids),
      ]);
      return new Map(rows.map((r) => [String(r.id), r]));
    },
    async readRows(policy, ids) {
      if (ids.length === 0) return new Map();
      const cols = policy.columns.map((c) => c.name).join(", ");
      const { rows } = await q.query<Row>(`SELECT ${cols} FROM ${policy.table} WHERE id = ANY($1::uuid[])`, [
        arrayLiteral(ids),
      ]);
      return new Map(rows.map((r) => [String(r.id), r]));
    },
    async upsertRows(policy, rows, writer = "central") {
      return writeGroups(q, policy, rows, (cols, src) => upsertSql(policy, cols, src, writer));
    },
    async insertRows(policy, rows) {
      return writeNewGroups(q, policy, rows, (cols, src, n) => insertSql(policy, cols, src, n));
    },
    async appendRows(policy, counter, rows) {
      return writeNewGroups(q, policy, rows, (cols, src, n) => appendSql(policy, counter, cols, src, n));
    },
    async deleteRows(table, ids) {
      if (ids.length === 0) return;
      await q.query(`DELETE FROM ${table} WHERE id = ANY($1::uuid[])`, [arrayLiteral(ids)]);
    },
    async bumpVersion(table, id) {
      await q.query(`UPDATE ${table} SET version = version + 1 WHERE id = $1`, [id]);
    },
  };
}

/**
 * Errors that belong to a row, not to the batch: isolate and reject them. Data exceptions
 * (22: a value out of range, bad text), integrity violations (23: unique, foreign key) and
 * program limits a single row can reach (54000: an index entry larger than a btree page
 * holds, from a huge value in an indexed column).
 */
export function isRowLevelError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return code.startsWith("22") || code.startsWith("23") || code === "54000";
}
