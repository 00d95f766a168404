import { Priority, type OutboxStatus, type SyncPolicy, type SyncTable } from "@tillsync/shared";
import { rawStmt, type SqliteDb } from "../db/terminal-db";
import type { OutboxRow } from "./outbox-store";
import { INDEXED_SQL, OPEN_SQL, QUEUED_SQL, statusSql } from "./outbox-status-sql";

/**
 * Rows a push may take now: waiting, and past their retry backoff. Through the partial status
 * index (INDEXED_SQL): the captured tail is not in it, so a claim indexes the tail first and a
 * readiness check reads the tail beside it (OutboxStore.hasReady).
 */
export const READY = `status = ${statusSql("PENDING")} AND ${INDEXED_SQL} AND (next_attempt_at IS NULL OR next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/**
 * An OutboxRow's columns, not `*`: the outbox's bookkeeping columns (last and next attempt,
 * error, confirmed) are not sent, and each column read is a property on each of a batch's
 * thousand row objects.
 */
const ROW_COLUMNS = `id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority,
  created_in_mode, status, attempts, created_at`;

/**
 * A row read as an array (ROW_COLUMNS' order) made into an OutboxRow by one object literal: the
 * driver's row objects, a property set at a time, cost ~0.8 ms more per 1,000 rows.
 */
type RawRow = [
  number,
  string,
  SyncTable,
  string,
  OutboxRow["operation"],
  string | null,
  string | null,
  number | null,
  number,
  OutboxRow["created_in_mode"],
  OutboxRow["status"],
  number,
  string,
];

function outboxRow(r: RawRow): OutboxRow {
  return {
    id: r[0],
    change_id: r[1],
    entity_type: r[2],
    entity_id: r[3],
    operation: r[4],
    data: r[5],
    base_data: r[6],
    base_version: r[7],
    sync_priority: r[8],
    created_in_mode: r[9],
    status: r[10],
    attempts: r[11],
    created_at: r[12],
  };
}

/** Whole outbox rows of a statement that selects ROW_COLUMNS. */
function rowsOf(db: SqliteDb, sql: string, ...params: unknown[]): OutboxRow[] {
  return (rawStmt(db, sql).all(...params) as RawRow[]).map(outboxRow);
}

/**
 * The next batch by priority, then age, keeping two orders (G1, G5):
 *  - a row's changes reach central in the order they were committed: a change whose row has an
 *    earlier change still queued brings that one along (any band: a CRITICAL completion must
 *    not overtake its order's CREATE, which would then overwrite it at central), or waits when
 *    that earlier change is in flight;
 *  - a child whose parent still waits brings the parent along, or waits when it is in flight.
 *
 * The pull-along ignores `minPriority` and may take the batch past `limit`, both on purpose.
 * An earlier change is often in a lower band (a PENDING order, 9, under its CRITICAL payment
 * or its own completion, 10): a CRITICAL-only cycle would never pick it, so the later change
 * brings it. And when an empty batch cannot hold a change with the earlier changes it needs,
 * those go alone, all of them even past `limit`, and the change follows in the next batch:
 * skipping them instead would hold the change back for ever. A row's queued changes are one
 * per send that got no answer (those never absorb later edits) plus the latest edit, so such a
 * batch stays a handful.
 *
 * `heldBack` (`table|id` keys, see flightKeys) names the rows of a batch still in flight when
 * this one is chosen to go beside it: a change of such a row, of a child under it or of its
 * parent waits for that answer, so two batches in flight never touch one row or one family
 * and central may apply them in either order.
 */
export function selectBatch(
  db: SqliteDb,
  policy: SyncPolicy,
  limit: number,
  minPriority: number,
  heldBack?: ReadonlySet<string>,
): OutboxRow[] {
  // One index range scan per priority level, highest first: ORDER BY sync_priority DESC, id
  // over the ascending (status, sync_priority, id) index would sort every pending row.
  const picked: OutboxRow[] = [];
  const level = `SELECT ${ROW_COLUMNS} FROM outbox WHERE ${READY} AND sync_priority = ? ORDER BY id LIMIT ?`;
  for (let prio = Priority.CRITICAL; prio >= minPriority && picked.length < limit; prio--) {
    picked.push(...rowsOf(db, level, prio, limit - picked.length));
  }
  const needs = new Map(picked.map((r) => [r.id, rowsNeeded(policy, r)]));
  const queued = queuedChangesOf(db, [...needs.values()].flat());
  const batch = new Map<number, OutboxRow>();
  for (const row of picked) {
    if (batch.has(row.id)) continue;
    const keys = needs.get(row.id)!;
    if (heldBack && keys.some((k) => heldBack.has(k))) continue;
    const earlier = keys.flatMap((k) => (queued.get(k) ?? []).filter((p) => p.id < row.id));
    if (earlier.some((p) => p.status === "SYNCING")) continue; // in flight elsewhere: wait for its answer
    const missing = [...new Set(earlier.filter((p) => !batch.has(p.id)).map((p) => p.id))];
    if (batch.size + missing.length + 1 > limit && batch.size > 0) continue;
    for (const p of fullRows(db, missing)) batch.set(p.id, p);
    if (batch.size + 1 > limit && missing.length > 0) break; // earlier changes took the room
    batch.set(row.id, row);
  }
  return [...batch.values()].sort((a, b) => a.id - b.id);
}

/** The `table|id` keys a batch in flight holds back from a batch chosen beside it: its rows and their parents. */
export function flightKeys(policy: SyncPolicy, rows: readonly OutboxRow[]): Set<string> {
  return new Set(rows.flatMap((r) => rowsNeeded(policy, r)));
}

/**
 * A row object's keys, once: the rows of the batches in flight are asked again on every claim
 * beside them (flightKeys), and each answer parsed the row's JSON again (~2 ms a batch). Keyed
 * by the object, which is what was read and sent: a row read again is a new object.
 */
const keysOf = new WeakMap<OutboxRow, string[]>();

/** `table|id` of the rows whose earlier queued changes must go first: the row itself and its parent. */
function rowsNeeded(policy: SyncPolicy, row: OutboxRow): string[] {
  const known = keysOf.get(row);
  if (known) return known;
  const keys = [`${row.entity_type}|${row.entity_id}`];
  const parent = policy[row.entity_type].parent;
  const ref = parent ? parentIdOf(row, parent.foreignKey) : undefined;
  if (parent && ref) keys.push(`${parent.table}|${ref}`);
  keysOf.set(row, keys);
  return keys;
}

function parentIdOf(row: OutboxRow, fk: string): string | undefined {
  const src = row.data ?? row.base_data;
  return src ? ((JSON.parse(src) as Record<string, unknown>)[fk] as string | undefined) : undefined;
}

/** What selectBatch needs to know of a queued change: which, and whether it is in flight. */
type Queued = Pick<OutboxRow, "id" | "status" | "entity_id">;

/**
 * Queued (PENDING or SYNCING) outbox changes of the given `table|id` rows, by id; one query per
 * table. Only ids and statuses: nearly all are the picked rows themselves, already read whole.
 */
function queuedChangesOf(db: SqliteDb, keys: string[]): Map<string, Queued[]> {
  const wanted = new Map<string, Set<string>>();
  for (const k of keys) {
    const bar = k.indexOf("|");
    const table = k.slice(0, bar);
    let set = wanted.get(table);
    if (!set) wanted.set(table, (set = new Set()));
    set.add(k.slice(bar + 1));
  }
  const out = new Map<string, Queued[]>();
  // The partial entity index of unconfirmed rows serves it (its predicate spelt out, see
  // capture/outbox-indexes.ts), not a scan of PENDING; only ids and statuses are read, as
  // arrays (rawStmt), and in no order: selectBatch compares ids and reads the rows it brings
  // along in id order itself (fullRows).
  const find = rawStmt(
    db,
    `SELECT id, status, entity_id FROM outbox WHERE entity_type = ? AND entity_id IN (SELECT value FROM json_each(?))
        AND ${OPEN_SQL} AND +status IN ${QUEUED_SQL}`,
  );
  for (const [table, ids] of wanted) {
    for (const [id, status, entityId] of find.all(table, JSON.stringify([...ids])) as Array<
      [number, OutboxStatus, string]
    >) {
      const key = `${table}|${entityId}`;
      const q: Queued = { id, status, entity_id: entityId };
      const list = out.get(key);
      if (list) list.push(q);
      else out.set(key, [q]);
    }
  }
  return out;
}

/** Whole outbox rows by id, in id order (the earlier changes a picked one brings along). */
function fullRows(db: SqliteDb, ids: number[]): OutboxRow[] {
  if (ids.length === 0) return [];
  return rowsOf(
    db,
    `SELECT ${ROW_COLUMNS} FROM outbox WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    JSON.stringify(ids),
  );
}
