import { stmt, type SqliteDb } from "../db/terminal-db";
import type { OutboxRow } from "./outbox-store";
import { OPEN_SQL, statusSql } from "./outbox-status-sql";

/**
 * Later changes to a row were made on top of the version this push produced: rebase them.
 * One query finds the few rows that have any, instead of an update per pushed row; rows that
 * provably have none are not looked up at all (~2 ms of a 1,000-change batch, issue 15):
 * `aloneAtClaim(row)` is the outbox's max(id) at the row's claim when the row was then the
 * only one of its `table|id` in the entity index (any status), else undefined; `maxId()` the
 * max(id) now. Ids only grow (capture/outbox-ids.ts), so the same max(id) means nothing was
 * captured since the claim, and nothing else of the row was there to become PENDING (a FAILED
 * change turned back by `retry-failed` was in the index, so the row was not alone).
 */
export function rebaseLaterChanges(
  db: SqliteDb,
  versions: ReadonlyArray<{ row: OutboxRow; version: number }>,
  aloneAtClaim: (row: OutboxRow) => number | undefined,
  maxId: () => number,
): void {
  if (versions.length === 0) return;
  // A row answered more than once in the batch: everything pending after its first answered
  // change is based on its newest version. Per answer instead, an earlier change's version
  // would land on a later change's resent rest (or, when a conflict's answer is listed after
  // an applied one, on the changes waiting behind both).
  const newest = new Map<string, { type: string; id: string; after: number; version: number; alone: boolean }>();
  let now: number | undefined;
  for (const { row, version } of versions) {
    const k = `${row.entity_type}|${row.entity_id}`;
    const claimed = aloneAtClaim(row);
    const alone = claimed !== undefined && claimed === (now ??= maxId());
    const seen = newest.get(k);
    if (!seen) newest.set(k, { type: row.entity_type, id: row.entity_id, after: row.id, version, alone });
    else {
      seen.after = Math.min(seen.after, row.id);
      seen.version = Math.max(seen.version, version);
      seen.alone = false; // answered twice (a CONFLICT after its row's APPLIED): look it up
    }
  }
  const byTable = new Map<string, string[]>();
  for (const { type, id, alone } of newest.values()) {
    if (alone) continue;
    const ids = byTable.get(type);
    if (ids) ids.push(id);
    else byTable.set(type, [id]);
  }
  if (byTable.size === 0) return;
  // The partial entity index of unconfirmed rows serves both (its predicate spelt out, see
  // capture/outbox-indexes.ts), not a scan of PENDING.
  const find = stmt(
    db,
    `SELECT DISTINCT entity_type || '|' || entity_id AS k FROM outbox
      WHERE entity_type = ? AND entity_id IN (SELECT value FROM json_each(?))
        AND ${OPEN_SQL} AND +status = ${statusSql("PENDING")}`,
  );
  const waiting = new Set<string>();
  for (const [table, ids] of byTable)
    for (const r of find.all(table, JSON.stringify(ids)) as Array<{ k: string }>) waiting.add(r.k);
  const rebase = stmt(
    db,
    `UPDATE outbox SET base_version = ?
      WHERE entity_type = ? AND entity_id = ? AND ${OPEN_SQL} AND +status = ${statusSql("PENDING")} AND id > ?`,
  );
  for (const [k, { type, id, after, version }] of newest) if (waiting.has(k)) rebase.run(version, type, id, after);
}
