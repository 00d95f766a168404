/**
 * Outbox ids and change ids, unique by construction (issue 15 point 3).
 *
 * Before, the outbox was `AUTOINCREMENT` (sqlite_sequence rewritten by every captured insert)
 * and `change_id` a random UUIDv7 with a unique index as the guard against two changes sharing
 * one (central keeps a change id once, G1, and would answer the second DUPLICATE: lost). Both
 * cost pages on every sale's commit. Now:
 *
 * - An outbox id is never handed out twice in a file. SQLite's plain rowid is max(id) + 1, so
 *   it repeats an id only after the newest row was deleted. `outbox_id_floor` remembers the
 *   highest id deleted while it was the newest (OUTBOX_ID_TRIGGERS_SQL, on DELETE, which is
 *   rare: cleanup of old history, a removed FAILED change, a cancelled unsent CREATE), and
 *   capture takes max(max(id), floor) + 1 (NEXT_OUTBOX_ID_SQL). Invariant: max(live ids, floor)
 *   ≥ every id ever used. Nothing is written on insert beyond the row and its indexes; a guard
 *   trigger aborts any other insert that would reuse an id.
 * - A change id carries its row's id: UUIDv7 layout, 48-bit Unix milliseconds, 32 random bits,
 *   and the outbox id in the last 40 bits (10 hex digits: 10^12 changes per file). Two
 *   changes of one file never share it (their ids differ), without an index. The milliseconds
 *   keep it unique when a file starts over at id 1 (a re-provisioned till, a restored backup:
 *   its ids were used before, at earlier times), and the random bits across terminals (central
 *   keys change ids globally): two terminals collide only with the same id in the same
 *   millisecond and the same 32 random bits. The old unique index never covered those cases
 *   either (nor changes already cleaned from the file).
 * - A re-issued change id (OutboxStore.settle gives the unsent rest of an answered row a new
 *   one, same row id) differs from the row's earlier ones by its time: it is made after the
 *   earlier one was sent and answered.
 */

/** The next outbox id (see above); the floor row is created by the migration `outbox_sequence_ids`. */
export const NEXT_OUTBOX_ID_SQL =
  "(SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)) + 1)";

/** Unix milliseconds of the statement (SQLite keeps 'now' fixed for a whole statement, triggers included). */
const NOW_MS_SQL = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

/**
 * A change id carrying the outbox id `idExpr` (an integer expression of the statement). One
 * `printf` of integers, no string slicing: capture evaluates this for every captured row, and the
 * earlier form (hex of a randomblob cut into pieces with six `substr`s, two more `printf`s and a
 * subquery) was a measurable part of a sale's trigger CPU (issue 15). Layout as before: the
 * milliseconds as 8 + 4 hex digits, version 7, 12 random bits, variant 8, 12 random bits, 8
 * random bits and the id's 10 hex digits; `random() & mask` takes the low bits of a fresh
 * 64-bit random integer each time (32 random bits in all).
 */
export function changeIdSql(idExpr: string): string {
  return `printf('%08x-%04x-7%03x-8%03x-%02x%010x', ${NOW_MS_SQL} >> 16, ${NOW_MS_SQL} & 65535, random() & 4095, random() & 4095, random() & 255, ${idExpr})`;
}

/** The outbox id a change id carries (its last 10 hex digits), for checks. */
export function outboxIdOf(changeId: string): number {
  return parseInt(changeId.slice(-10), 16);
}

/**
 * The floor's upkeep and the guard, hand-written into the migration `outbox_sequence_ids`
 * (Prisma does not model triggers). The upkeep runs only for a deleted row with no larger id
 * left; `max` keeps it right whatever order a multi-row DELETE visits its rows in.
 */
export const OUTBOX_ID_TRIGGERS_SQL = `CREATE TRIGGER tillsync_outbox_id_floor AFTER DELETE ON outbox
WHEN OLD.id > coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)
  AND NOT EXISTS (SELECT 1 FROM outbox WHERE id > OLD.id)
BEGIN
  INSERT INTO outbox_id_floor (id, floor) VALUES (1, OLD.id)
  ON CONFLICT (id) DO UPDATE SET floor = max(floor, excluded.floor);
END;

CREATE TRIGGER tillsync_outbox_id_unused AFTER INSERT ON outbox
WHEN NEW.id <= coalesce((SELECT floor FROM outbox_id_floor WHERE id = 1), 0)
BEGIN
  SELECT RAISE(ABORT, 'outbox id reused: insert outbox rows with NEXT_OUTBOX_ID_SQL (capture/outbox-ids.ts)');
END;
`;
