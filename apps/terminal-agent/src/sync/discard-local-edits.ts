import type { SyncPolicy, SyncTable, TablePolicy } from "@tillsync/shared";
import { stmt, type SqliteDb } from "../db/terminal-db";
import { ledgersInto } from "./ledger-counters";

/**
 * Puts central's row back over every local edit of a central-owned table that the till made
 * since the last pull (noted by the local-edit triggers, capture/local-edit-triggers.ts), and
 * marks those edits discarded for `status`. Call it inside the pull page's transaction with
 * capture off, before the page's own rows: a newer row central sends in the page then wins.
 * A row the till made up is removed; a deleted or edited one comes back as the till last had
 * it from central. A ledger's counter keeps its displayed value (central's + the till's own
 * movements): an existing row keeps its counter, and a restored one also takes over what a row
 * recreated for its key meanwhile counted.
 */
export function discardLocalEdits(db: SqliteDb, policy: SyncPolicy): number {
  const waiting = stmt(
    db,
    `SELECT entity_type, count(*) AS n FROM local_edits WHERE discarded_at IS NULL GROUP BY entity_type`,
  ).all() as Array<{ entity_type: SyncTable; n: number }>;
  if (waiting.length === 0) return 0;
  for (const { entity_type } of waiting) {
    const p = policy[entity_type];
    if (p) restoreTable(db, p, ledgersInto(policy, p.table)[0]?.ledger);
  }
  return stmt(
    db,
    `UPDATE local_edits SET discarded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE discarded_at IS NULL`,
  ).run().changes;
}

const EDITS = `FROM local_edits WHERE entity_type = ? AND discarded_at IS NULL`;

type CounterRule = { counterColumn: string; key: Readonly<Record<string, string>> };

function restoreTable(db: SqliteDb, p: TablePolicy, ledger?: CounterRule): void {
  const t = p.table;
  stmt(db, `DELETE FROM ${t} WHERE id IN (SELECT entity_id ${EDITS} AND central_data IS NULL)`).run(t);
  const moved = ledger ? takeOverRecreatedCounters(db, t, ledger) : new Map<string, number>();
  const field = (c: string) => `json_extract(central_data, '$.${c}')`;
  const cols = p.columns.map((c) => c.name);
  const sets = cols.filter((c) => c !== "id" && c !== ledger?.counterColumn).map((c) => `${c} = excluded.${c}`);
  // WHERE true: SQLite's upsert after a SELECT needs it to parse the ON CONFLICT clause.
  stmt(
    db,
    `INSERT INTO ${t} (${cols.join(", ")})
     SELECT ${cols.map(field).join(", ")} ${EDITS} AND central_data IS NOT NULL AND true
     ON CONFLICT (id) DO UPDATE SET ${sets.join(", ")}`,
  ).run(t);
  const n = ledger?.counterColumn;
  for (const [id, delta] of moved) stmt(db, `UPDATE ${t} SET ${n} = ${n} + ? WHERE id = ?`).run(delta, id);
}

/**
 * A counter row the till deleted (or moved to another key) may have been recreated for its key
 * by a later movement, with that movement's delta alone. It gives way to the row put back (the
 * key is unique), and what it counted moves onto that row: returned per restored row id.
 */
function takeOverRecreatedCounters(db: SqliteDb, t: string, ledger: CounterRule): Map<string, number> {
  const key = Object.values(ledger.key);
  const edits = stmt(db, `SELECT entity_id, central_data ${EDITS} AND central_data IS NOT NULL`).all(t) as Array<{
    entity_id: string;
    central_data: string;
  }>;
  const others = stmt(
    db,
    `SELECT id, ${ledger.counterColumn} AS n FROM ${t} WHERE ${key.map((k) => `${k} = ?`).join(" AND ")} AND id <> ?`,
  );
  const moved = new Map<string, number>();
  for (const e of edits) {
    const row = JSON.parse(e.central_data) as Record<string, string | number>;
    for (const o of others.all(...key.map((k) => row[k]!), e.entity_id) as Array<{ id: string; n: number }>) {
      moved.set(e.entity_id, (moved.get(e.entity_id) ?? 0) + Number(o.n ?? 0));
      stmt(db, `DELETE FROM ${t} WHERE id = ?`).run(o.id);
    }
  }
  return moved;
}

/** Per table, how many local edits of central-owned rows a pull has put back (for `status`). */
export function discardedLocalEdits(db: SqliteDb): Partial<Record<SyncTable, number>> {
  const rows = db
    .prepare(
      `SELECT entity_type, count(*) AS n FROM local_edits WHERE discarded_at IS NOT NULL GROUP BY entity_type ORDER BY entity_type`,
    )
    .all() as Array<{ entity_type: SyncTable; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.entity_type, r.n]));
}
