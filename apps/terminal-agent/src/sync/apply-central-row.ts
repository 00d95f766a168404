import type { SyncPolicy, SyncTable, TablePolicy } from "@tillsync/shared";
import { stmt, type SqliteDb } from "../db/terminal-db";
import { unconfirmedSql } from "../outbox/outbox-status-sql";
import {
  dropTillCounterRow,
  ledgersInto,
  unpushedDelta,
  type LedgerTable,
  type UnpushedLedgerDeltas,
} from "./ledger-counters";

/**
 * Writes central's version of one row into the terminal database. Call it inside
 * `withoutCapture` (the caller owns the transaction). What the till shows must stay
 * "central's value + my own changes not yet pushed" (G4):
 *  - a ledger's counter table (the policy's LedgerRule; inventory_items.quantity moved by
 *    inventory_adjustments): counter = central's value + this terminal's unpushed ledger deltas;
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
  /** A page's ledger sums read once; without it, one query per counter row. */
  ledgerDeltas?: UnpushedLedgerDeltas,
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

  const ledgers = ledgersInto(policy, table);
  if (ledgers.length > 0) {
    addUnpushedLedgerDeltas(db, ledgers, row, ledgerDeltas);
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

/** A counter row from central: add what this terminal's unconfirmed ledger rows moved (G4). */
function addUnpushedLedgerDeltas(
  db: SqliteDb,
  ledgers: LedgerTable[],
  row: Record<string, unknown>,
  cached: UnpushedLedgerDeltas | undefined,
): void {
  for (const l of ledgers) {
    const pending = cached ? cached.of(l, row) : unpushedDelta(db, l, row);
    row[l.ledger.counterColumn] = Number(row[l.ledger.counterColumn] ?? 0) + pending;
    dropTillCounterRow(db, l, row, cached);
  }
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
      WHERE entity_type = ? AND entity_id = ? AND ${unconfirmedSql()}`,
  ).all(table, id) as LocalChange[];
}

/**
 * What this terminal's unconfirmed changes add to a merge field. A CREATE adds nothing on top of
 * central's row: central holds the row only once the CREATE reached it (sent, its answer lost),
 * and then the CREATE's values are already in central's.
 */
function localDelta(changes: LocalChange[], field: string): number {
  let sum = 0;
  for (const c of changes) {
    if (c.data && !c.base_data) continue;
    const after = c.data ? Number((JSON.parse(c.data) as Record<string, unknown>)[field] ?? 0) : 0;
    const before = c.base_data ? Number((JSON.parse(c.base_data) as Record<string, unknown>)[field] ?? 0) : 0;
    sum += after - before;
  }
  return sum;
}

/**
 * `table|id` of every row with unpushed local changes: one query instead of one per pulled row.
 * `among` (a pulled page's rows): only those are looked up, by the partial entity index, one
 * query per table. A till with a large backlog holds tens of thousands of unconfirmed rows, and
 * reading them all for every page held the agent's event loop longer than the page's own writes
 * (a sale's push answer waited behind it; bench/README.md, latency behind a backlog).
 */
export function rowsWithUnpushedChanges(
  db: SqliteDb,
  among?: ReadonlyArray<{ entityType: string; entityId: string }>,
): Set<string> {
  if (among) return unpushedAmong(db, among);
  const rows = stmt(db, `SELECT DISTINCT entity_type, entity_id FROM outbox WHERE ${unconfirmedSql()}`).all() as Array<{
    entity_type: string;
    entity_id: string;
  }>;
  return new Set(rows.map((r) => `${r.entity_type}|${r.entity_id}`));
}

function unpushedAmong(db: SqliteDb, among: ReadonlyArray<{ entityType: string; entityId: string }>): Set<string> {
  const byTable = new Map<string, string[]>();
  for (const { entityType, entityId } of among) {
    const ids = byTable.get(entityType);
    if (ids) ids.push(entityId);
    else byTable.set(entityType, [entityId]);
  }
  const find = stmt(
    db,
    `SELECT DISTINCT entity_id FROM outbox
      WHERE entity_type = ? AND entity_id IN (SELECT value FROM json_each(?)) AND ${unconfirmedSql()}`,
  );
  const out = new Set<string>();
  for (const [table, ids] of byTable)
    for (const r of find.all(table, JSON.stringify(ids)) as Array<{ entity_id: string }>)
      out.add(`${table}|${r.entity_id}`);
  return out;
}
