import type { SyncPolicy, SyncTable, TablePolicy } from "@tillsync/shared";
import { stmt, type SqliteDb } from "../db/terminal-db";

/**
 * Writes central's version of one row into the terminal database. Call it inside
 * `withoutCapture` (the caller owns the transaction). What the till shows must stay
 * "central's value + my own changes not yet pushed" (G4):
 *  - inventory_items: quantity = central's quantity + this terminal's unpushed adjustments;
 *  - MERGE tables: merge fields = central's value + unpushed local deltas; other fields central;
 *  - other tables: a row with an unpushed local edit made on top of this version or a newer
 *    one keeps the local edit (central's copy is old news); a newer central row replaces it.
 */
export function applyCentralRow(
  db: SqliteDb,
  policy: SyncPolicy,
  table: SyncTable,
  id: string,
  data: Record<string, unknown>,
  version: number,
  pendingStock?: Map<string, number>,
  hasUnpushed?: Set<string>,
): void {
  const p = policy[table];
  const row: Record<string, unknown> = {};
  for (const c of p.columns) {
    if (!(c.name in data)) continue;
    const v = data[c.name];
    row[c.name] = typeof v === "boolean" ? (v ? 1 : 0) : v;
  }
  row.id = id;
  row.version = version;

  if (table === "inventory_items") {
    const key = `${String(row.store_id)}|${String(row.product_id)}`;
    const pending = pendingStock
      ? (pendingStock.get(key) ?? 0)
      : unpushedStock(db, String(row.store_id), String(row.product_id));
    row.quantity = Number(row.quantity ?? 0) + pending;
    // A row the till created for a product central had not sent yet has another id.
    stmt(db, `DELETE FROM inventory_items WHERE store_id = ? AND product_id = ? AND id <> ?`).run(
      row.store_id,
      row.product_id,
      id,
    );
  } else if (p.direction !== "CENTRAL_TO_TERMINAL" && (!hasUnpushed || hasUnpushed.has(`${table}|${id}`))) {
    const local = unpushedChanges(db, table, id);
    if (local.length > 0) {
      if (p.mergeFields.length === 0) {
        const newestBase = Math.max(...local.map((l) => l.base_version ?? Number.POSITIVE_INFINITY));
        if (newestBase >= version) return;
      } else {
        for (const f of p.mergeFields) row[f] = Number(row[f] ?? 0) + localDelta(local, f);
      }
    }
  }
  upsert(db, p, row);
}

function upsert(db: SqliteDb, p: TablePolicy, row: Record<string, unknown>): void {
  // Rows from central carry every policy column, so one statement per table serves them all;
  // building SQL per row was the largest cost of a bootstrap.
  const all = p.columns.every((c) => c.name in row);
  const cols = all ? p.columns.map((c) => c.name) : Object.keys(row);
  const sql = all ? fullRowSql(p) : upsertSql(p.table, cols);
  stmt(db, sql).run(...cols.map((c) => row[c] as string | number | null));
}

const fullRowSqlCache = new Map<string, string>();

function fullRowSql(p: TablePolicy): string {
  let sql = fullRowSqlCache.get(p.table);
  if (!sql)
    fullRowSqlCache.set(
      p.table,
      (sql = upsertSql(
        p.table,
        p.columns.map((c) => c.name),
      )),
    );
  return sql;
}

function upsertSql(table: string, cols: string[]): string {
  const sets = cols.filter((c) => c !== "id").map((c) => `${c} = excluded.${c}`);
  return `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})
     ON CONFLICT (id) DO UPDATE SET ${sets.join(", ")}`;
}

interface LocalChange {
  data: string | null;
  base_data: string | null;
  base_version: number | null;
}

function unpushedChanges(db: SqliteDb, table: string, id: string): LocalChange[] {
  return stmt(
    db,
    `SELECT data, base_data, base_version FROM outbox
      WHERE entity_type = ? AND entity_id = ? AND status IN ('PENDING', 'SYNCING', 'FAILED')`,
  ).all(table, id) as LocalChange[];
}

function localDelta(changes: LocalChange[], field: string): number {
  let sum = 0;
  for (const c of changes) {
    const after = c.data ? Number((JSON.parse(c.data) as Record<string, unknown>)[field] ?? 0) : 0;
    const before = c.base_data ? Number((JSON.parse(c.base_data) as Record<string, unknown>)[field] ?? 0) : 0;
    sum += after - before;
  }
  return sum;
}

const UNPUSHED_ADJUSTMENTS = `
  SELECT a.store_id, a.product_id, sum(a.delta) AS delta
    FROM outbox o JOIN inventory_adjustments a ON a.id = o.entity_id
   WHERE o.entity_type = 'inventory_adjustments' AND o.status IN ('PENDING', 'SYNCING', 'FAILED')`;

function unpushedStock(db: SqliteDb, storeId: string, productId: string): number {
  const r = stmt(
    db,
    `${UNPUSHED_ADJUSTMENTS} AND a.store_id = ? AND a.product_id = ? GROUP BY a.store_id, a.product_id`,
  ).get(storeId, productId) as { delta: number } | undefined;
  return r?.delta ?? 0;
}

/** `table|id` of every row with unpushed local changes: one query instead of one per pulled row. */
export function rowsWithUnpushedChanges(db: SqliteDb): Set<string> {
  const rows = stmt(
    db,
    `SELECT DISTINCT entity_type, entity_id FROM outbox WHERE status IN ('PENDING', 'SYNCING', 'FAILED')`,
  ).all() as Array<{
    entity_type: string;
    entity_id: string;
  }>;
  return new Set(rows.map((r) => `${r.entity_type}|${r.entity_id}`));
}

/** All unpushed adjustment totals at once, for applying a large page of stock rows. */
export function unpushedStockByItem(db: SqliteDb): Map<string, number> {
  const rows = stmt(db, `${UNPUSHED_ADJUSTMENTS} GROUP BY a.store_id, a.product_id`).all() as Array<{
    store_id: string;
    product_id: string;
    delta: number;
  }>;
  return new Map(rows.map((r) => [`${r.store_id}|${r.product_id}`, r.delta]));
}
