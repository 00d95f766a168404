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
 * movements) where its row still exists; a restored counter row replaces the one a movement
 * recreated for its key meanwhile.
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

function restoreTable(
  db: SqliteDb,
  p: TablePolicy,
  ledger?: { counterColumn: string; key: Readonly<Record<string, string>> },
) {
  const t = p.table;
  stmt(db, `DELETE FROM ${t} WHERE id IN (SELECT entity_id ${EDITS} AND central_data IS NULL)`).run(t);
  const field = (c: string) => `json_extract(central_data, '$.${c}')`;
  if (ledger) {
    const key = Object.values(ledger.key);
    stmt(
      db,
      `DELETE FROM ${t} WHERE id NOT IN (SELECT entity_id ${EDITS})
         AND (${key.join(", ")}) IN (SELECT ${key.map(field).join(", ")} ${EDITS} AND central_data IS NOT NULL)`,
    ).run(t, t);
  }
  const cols = p.columns.map((c) => c.name);
  const sets = cols.filter((c) => c !== "id" && c !== ledger?.counterColumn).map((c) => `${c} = excluded.${c}`);
  // WHERE true: SQLite's upsert after a SELECT needs it to parse the ON CONFLICT clause.
  stmt(
    db,
    `INSERT INTO ${t} (${cols.join(", ")})
     SELECT ${cols.map(field).join(", ")} ${EDITS} AND central_data IS NOT NULL AND true
     ON CONFLICT (id) DO UPDATE SET ${sets.join(", ")}`,
  ).run(t);
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
