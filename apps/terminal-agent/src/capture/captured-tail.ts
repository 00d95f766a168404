import type { Database, Statement } from "better-sqlite3";

/**
 * The captured tail: outbox rows the till's own transaction wrote and did not put in the
 * entity index (issue 15, capture ≤ 1.3×).
 *
 * The partial entity index (outbox-indexes.ts) is keyed by random row UUIDs, so each captured
 * row lands on a random leaf: on an offline till holding tens of thousands of unconfirmed rows,
 * +6.5 of a sale's +12.6 extra pages were that index (bench/capture-overhead.ts, "by
 * structure"). So capture writes its rows with `confirmed = NOT_INDEXED`, outside the index's
 * predicate (`confirmed = 0`), and the agent moves them in later, many at once, in its own
 * transaction (indexCapturedTail). Until then they are the tail: every id above
 * `outbox_id_floor.indexed_through`, at the end of the table, found by a rowid range.
 *
 * Who reads by row, and how the tail stays visible to each:
 *  - the capture triggers' own lookups (a fold into an unsent change, the DELETE paths, an
 *    order line's priority) read the index and the tail (capture-triggers.ts);
 *  - the agent indexes the tail first, inside the write transaction of every step that looks
 *    rows up (withoutCapture, OutboxStore.claimBatch): the till cannot write in between, so
 *    those lookups need only the index;
 *  - the tail stays short without the agent too: a captured insert that finds it TAIL_BOUND
 *    rows long indexes it in the same statement (tailBoundTriggerSql), so one sale in ~100
 *    pays what each paid before, and the triggers' tail scans stay a few pages.
 * Invariant: a row with `confirmed = NOT_INDEXED` is PENDING, never offered to central, and
 * above indexed_through.
 */
export const NOT_INDEXED = 2;

/** The first row of the tail is above this. */
const INDEXED_THROUGH_SQL = "(SELECT indexed_through FROM outbox_id_floor WHERE id = 1)";

/** A WHERE term: the row is in the tail (a rowid range; the index may hold it too). */
export const IN_TAIL_SQL = `id > ${INDEXED_THROUGH_SQL}`;

/**
 * The tail's rows exactly (above indexed_through and not indexed: a row an agent wrote there by
 * hand would be in the indexes already), as a rowid range: what a reader of PENDING rows that
 * does not index the tail first reads beside the status index (outbox-status-sql.ts, INDEXED_SQL).
 */
export const TAIL_ROWS_SQL = `${IN_TAIL_SQL} AND +confirmed = ${NOT_INDEXED}`;

/**
 * `UNION ALL SELECT <cols> FROM outbox WHERE <the tail's rows> [AND <and>]`, for a reader of
 * PENDING rows beside the status index; "" for a file whose capture has no tail (a fixture of an
 * earlier release, whose status index holds every row).
 */
export function tailUnionSql(db: Database, cols: string, and?: string): string {
  if (!prepared(db)) return "";
  return ` UNION ALL SELECT ${cols} FROM outbox WHERE ${TAIL_ROWS_SQL}${and ? ` AND ${and}` : ""}`;
}

/** Rows in the tail at most before a captured insert indexes it itself. */
export const TAIL_BOUND = 512;

/** The outbox trigger that bounds the tail when the agent does not run (see above). */
export function tailBoundTriggerSql(): string {
  return `CREATE TRIGGER tillsync_outbox_tail_bound AFTER INSERT ON outbox
WHEN NEW.confirmed = ${NOT_INDEXED} AND NEW.id - ${INDEXED_THROUGH_SQL} >= ${TAIL_BOUND}
BEGIN
  UPDATE outbox SET confirmed = 0 WHERE ${IN_TAIL_SQL} AND confirmed = ${NOT_INDEXED};
  UPDATE outbox_id_floor SET indexed_through = NEW.id WHERE id = 1;
END;`;
}

/** Per connection: its statements, or null for a file whose capture has no tail. */
const statements = new WeakMap<Database, Statement[] | null>();

function prepared(db: Database): Statement[] | null {
  let s = statements.get(db);
  if (s !== undefined) return s;
  // A file of an earlier release (a test fixture one protocol behind) captures into the index
  // directly: no `indexed_through`, no tail.
  const hasTail = db.prepare(`SELECT 1 FROM pragma_table_info('outbox_id_floor') WHERE name = 'indexed_through'`).get();
  s = hasTail
    ? [
        db.prepare(
          `SELECT indexed_through AS through, (SELECT max(id) FROM outbox) AS newest FROM outbox_id_floor WHERE id = 1`,
        ),
        db.prepare(`UPDATE outbox SET confirmed = 0 WHERE id > ? AND confirmed = ${NOT_INDEXED}`),
        db.prepare(`UPDATE outbox_id_floor SET indexed_through = ? WHERE id = 1`),
      ]
    : null;
  statements.set(db, s);
  return s;
}

/**
 * Moves the tail into the entity index. Call inside a write transaction (the till's rows must
 * not arrive between the read and the move); reads only, when the tail is empty. Returns the
 * rows moved.
 */
export function indexCapturedTail(db: Database): number {
  const s = prepared(db);
  if (!s) return 0;
  const [read, move, mark] = s;
  const at = read!.get() as { through: number; newest: number | null } | undefined;
  if (!at || at.newest === null || at.newest <= at.through) return 0;
  const moved = move!.run(at.through).changes;
  mark!.run(at.newest);
  return moved;
}

/** Rows waiting in the tail (a rowid range count), for the agent's timer and for tests. */
export function capturedTailLength(db: Database): number {
  return (db.prepare(`SELECT count(*) AS n FROM outbox WHERE ${IN_TAIL_SQL}`).get() as { n: number }).n;
}
