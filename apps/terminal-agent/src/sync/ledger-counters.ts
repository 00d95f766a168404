import { ledgerTables, type LedgerRule, type SyncPolicy, type SyncTable, type TablePolicy } from "@tillsync/shared";
import { stmt, type SqliteDb } from "../db/terminal-db";
import { unconfirmedSql } from "../outbox/outbox-status-sql";

/** A ledger table of the policy: append-only rows that each move a counter in another table. */
export type LedgerTable = TablePolicy & { ledger: LedgerRule };

const ledgersByCounter = new WeakMap<SyncPolicy, Map<SyncTable, LedgerTable[]>>();

/** The ledgers whose rows move a counter held in `table`; none for most tables. */
export function ledgersInto(policy: SyncPolicy, table: SyncTable): LedgerTable[] {
  let byCounter = ledgersByCounter.get(policy);
  if (!byCounter) {
    byCounter = new Map();
    for (const l of ledgerTables(policy)) {
      byCounter.set(l.ledger.counterTable, [...(byCounter.get(l.ledger.counterTable) ?? []), l]);
    }
    ledgersByCounter.set(policy, byCounter);
  }
  return byCounter.get(table) ?? [];
}

/** The counter row a ledger rule points at, as one string: from the counter row's own columns. */
function counterKey(rule: LedgerRule, counterRow: Record<string, unknown>): string {
  return JSON.stringify(Object.values(rule.key).map((c) => counterRow[c]));
}

interface LedgerSql {
  /** Per counter row, every unconfirmed delta summed: one GROUP BY for a whole page. */
  all: string;
  /** The same for one counter row, its key columns bound in rule order. */
  one: string;
  /** Drops a counter row with central's key but another id: binds the key columns, then the id. */
  dropOtherId: string;
  /** The same for many rows at once: binds one JSON array of [id, ...key columns] per row. */
  dropOtherIds: string;
}

const sqlCache = new WeakMap<LedgerRule, LedgerSql>();

function ledgerSql(l: LedgerTable): LedgerSql {
  let sql = sqlCache.get(l.ledger);
  if (!sql) {
    const cols = Object.keys(l.ledger.key).map((c) => `l.${c}`);
    const unpushed = `SELECT ${cols.join(", ")}, sum(l.${l.ledger.deltaColumn}) AS delta
        FROM outbox o JOIN ${l.table} l ON l.id = o.entity_id
       WHERE o.entity_type = '${l.table}' AND ${unconfirmedSql("o")}`;
    const counterCols = Object.values(l.ledger.key);
    sql = {
      all: `${unpushed} GROUP BY ${cols.join(", ")}`,
      one: `${unpushed} AND ${cols.map((c) => `${c} = ?`).join(" AND ")} GROUP BY ${cols.join(", ")}`,
      dropOtherId: `DELETE FROM ${l.ledger.counterTable}
        WHERE ${counterCols.map((c) => `${c} = ?`).join(" AND ")} AND id <> ?`,
      // CROSS JOIN keeps json_each outside: each of its rows is one probe of the key's unique index.
      dropOtherIds: `DELETE FROM ${l.ledger.counterTable} WHERE id IN (
        SELECT c.id FROM json_each(?) AS j CROSS JOIN ${l.ledger.counterTable} AS c
            ON ${counterCols.map((c, i) => `c.${c} = json_extract(j.value, '$[${i + 1}]')`).join(" AND ")}
         WHERE c.id <> json_extract(j.value, '$[0]'))`,
    };
    sqlCache.set(l.ledger, sql);
  }
  return sql;
}

function keyValues(l: LedgerTable, counterRow: Record<string, unknown>): Array<string | number> {
  return Object.values(l.ledger.key).map((c) => counterRow[c] as string | number);
}

/** This terminal's unconfirmed entries of ledger `l` for one counter row, summed. */
export function unpushedDelta(db: SqliteDb, l: LedgerTable, counterRow: Record<string, unknown>): number {
  const r = stmt(db, ledgerSql(l).one).get(...keyValues(l, counterRow)) as { delta: number } | undefined;
  return r?.delta ?? 0;
}

/**
 * Central's counter row replaces the one the till made up for the same key (the display
 * trigger creates it on the first ledger entry, before central sent the row, with its own id).
 */
export function dropTillCounterRow(
  db: SqliteDb,
  l: LedgerTable,
  counterRow: Record<string, unknown>,
  /** The batch's sums: when dropTillCounterRows already ran for the batch, there is nothing left to drop. */
  sums?: UnpushedLedgerDeltas,
): void {
  if (sums?.tillRowsDropped(l)) return;
  stmt(db, ledgerSql(l).dropOtherId).run(...keyValues(l, counterRow), counterRow.id as string);
}

/**
 * dropTillCounterRow for every counter row of a batch in one statement, before the batch is
 * applied, instead of one DELETE per row (in a bootstrap, the largest per-row statement after
 * the upsert; bench/README.md). The same rows go: central holds one row per key, so no row of
 * the batch is another's till-made row, and each row dropped here is one a per-row DELETE would
 * have dropped just before its key's row was written. `sums` (the batch's, same transaction)
 * is told, so that applyCentralRow skips the per-row DELETE for the batch.
 */
export function dropTillCounterRows(
  db: SqliteDb,
  l: LedgerTable,
  counterRows: Array<Record<string, unknown>>,
  sums: UnpushedLedgerDeltas,
): number {
  const keys = counterRows.map((r) => [r.id, ...keyValues(l, r)]);
  const dropped = keys.length > 0 ? stmt(db, ledgerSql(l).dropOtherIds).run(JSON.stringify(keys)).changes : 0;
  sums.markTillRowsDropped(l);
  return dropped;
}

/**
 * The same sums for a whole page of counter rows: each ledger is read once, on first use, in
 * one GROUP BY, instead of one query per pulled row. Use it inside the page's transaction.
 */
export class UnpushedLedgerDeltas {
  private readonly byLedger = new Map<SyncTable, Map<string, number>>();
  private readonly dropped = new Set<SyncTable>();

  constructor(private readonly db: SqliteDb) {}

  of(l: LedgerTable, counterRow: Record<string, unknown>): number {
    let sums = this.byLedger.get(l.table);
    if (!sums) {
      const ledgerCols = Object.keys(l.ledger.key);
      const rows = stmt(this.db, ledgerSql(l).all).all() as Array<Record<string, unknown> & { delta: number }>;
      sums = new Map(rows.map((r) => [JSON.stringify(ledgerCols.map((c) => r[c])), r.delta]));
      this.byLedger.set(l.table, sums);
    }
    // Most pages, and a new till's whole bootstrap, have no unpushed movement to add.
    return sums.size === 0 ? 0 : (sums.get(counterKey(l.ledger, counterRow)) ?? 0);
  }

  /** Whether dropTillCounterRows already dropped the till-made counter rows of `l` for this batch. */
  tillRowsDropped(l: LedgerTable): boolean {
    return this.dropped.has(l.table);
  }

  markTillRowsDropped(l: LedgerTable): void {
    this.dropped.add(l.table);
  }
}
