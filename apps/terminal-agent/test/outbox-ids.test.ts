import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { migrationsDir, type PushChange, type PushResult } from "@tillsync/shared";
import { changeIdSql, outboxIdOf } from "../src/capture/outbox-ids";
import { openTerminalDb, type SqliteDb } from "../src/db/terminal-db";
import { OutboxStore } from "../src/outbox/outbox-store";

/**
 * Outbox ids never repeat and change ids carry them (capture/outbox-ids.ts), with neither
 * AUTOINCREMENT nor a unique change_id index; a till's file from before keeps its queue.
 */

const REJECT_RETRY = { maxAttempts: 5, backoffBaseMs: 1000, backoffCapMs: 60_000 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tillsync-outbox-ids-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const orderSql = `INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 100)`;

function order(db: SqliteDb): string {
  const id = randomUUID();
  db.prepare(orderSql).run(id, randomUUID());
  return id;
}

const rows = (db: SqliteDb) =>
  db.prepare(`SELECT id, change_id, entity_id, status FROM outbox ORDER BY id`).all() as Array<{
    id: number;
    change_id: string;
    entity_id: string;
    status: string;
  }>;
const maxId = (db: SqliteDb) => (db.prepare(`SELECT coalesce(max(id), 0) AS m FROM outbox`).get() as { m: number }).m;

describe("outbox ids", () => {
  let db: SqliteDb;
  beforeEach(() => {
    db = openTerminalDb(path.join(dir, "t.db"));
  });
  afterEach(() => db.close());

  it("has no AUTOINCREMENT and no index on change_id: the costs this scheme removes", () => {
    const table = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'`).get() as {
      sql: string;
    };
    expect(table.sql).not.toMatch(/AUTOINCREMENT/i);
    const indexed = db
      .prepare(
        `SELECT il.name AS idx FROM pragma_index_list('outbox') il, pragma_index_info(il.name) ii WHERE ii.name = 'change_id'`,
      )
      .all();
    expect(indexed).toEqual([]);
    order(db);
    expect(db.prepare(`SELECT 1 FROM sqlite_sequence WHERE name = 'outbox'`).get()).toBeUndefined();
  });

  it("puts each row's id into its change id, a valid UUIDv7", () => {
    for (let i = 0; i < 5; i++) order(db);
    const all = rows(db);
    expect(all).toHaveLength(5);
    for (const r of all) {
      expect(r.change_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(outboxIdOf(r.change_id)).toBe(r.id);
      const ms = parseInt(r.change_id.replace(/-/g, "").slice(0, 12), 16);
      expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
    }
  });

  it("never hands out an id again once its row is deleted, whichever way it goes", () => {
    order(db);
    // A cancelled unsent CREATE: capture deletes the newest row itself.
    const cancelled = order(db);
    const cancelledId = maxId(db);
    db.prepare(`DELETE FROM sale_orders WHERE id = ?`).run(cancelled);
    expect(maxId(db)).toBeLessThan(cancelledId);
    order(db);
    expect(maxId(db)).toBe(cancelledId + 1);
    // Cleanup of history that takes every row, the newest too (one multi-row DELETE).
    db.prepare(`UPDATE outbox SET status = 'SYNCED'`).run();
    const highest = maxId(db);
    db.prepare(`DELETE FROM outbox WHERE status = 'SYNCED'`).run();
    expect(maxId(db)).toBe(0);
    order(db);
    expect(rows(db).map((r) => r.id)).toEqual([highest + 1]);
    // Survives reopening (the floor is in the file).
    db.close();
    db = openTerminalDb(path.join(dir, "t.db"));
    db.prepare(`DELETE FROM outbox`).run();
    order(db);
    expect(rows(db).map((r) => r.id)).toEqual([highest + 2]);
  });

  it("keeps the floor when a lower row is deleted after the newest", () => {
    for (let i = 0; i < 3; i++) order(db);
    const [a, , c] = rows(db).map((r) => r.id);
    db.prepare(`DELETE FROM outbox WHERE id = ?`).run(c);
    db.prepare(`DELETE FROM outbox WHERE id = ?`).run(a);
    order(db);
    expect(maxId(db)).toBe(c! + 1);
  });

  it("refuses an insert that would reuse a deleted id", () => {
    order(db);
    order(db);
    db.prepare(`DELETE FROM outbox WHERE id = (SELECT max(id) FROM outbox)`).run();
    // SQLite's own rowid would be the deleted one again.
    expect(() =>
      db
        .prepare(
          `INSERT INTO outbox (entity_type, entity_id, operation, sync_priority) VALUES ('sale_orders', ?, 'CREATE', 9)`,
        )
        .run(randomUUID()),
    ).toThrow(/outbox id reused/);
  });

  it("makes a change id with one printf of integers, fresh random bits each time (issue 15: trigger CPU)", () => {
    // The capture triggers as installed in the file: no randomblob cut into pieces per row.
    const trigger = db
      .prepare(`SELECT sql FROM sqlite_master WHERE name = 'tillsync_capture_sale_orders_insert'`)
      .get() as { sql: string };
    expect(trigger.sql).not.toMatch(/randomblob|substr\(/);
    expect(trigger.sql.match(/printf\(/g)).toHaveLength(1);
    // One statement makes many at one 'now': same milliseconds, distinct random bits.
    const made = db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) SELECT ${changeIdSql("7")} AS c FROM n`,
      )
      .all() as Array<{ c: string }>;
    const ids = made.map((r) => r.c);
    for (const c of ids) {
      expect(c).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(outboxIdOf(c)).toBe(7);
    }
    expect(new Set(ids.map((c) => c.slice(0, 13))).size).toBe(1);
    expect(new Set(ids.map((c) => c.slice(15, 18) + c.slice(20, 23) + c.slice(24, 26))).size).toBeGreaterThan(190);
    // Every one of the 32 random bits takes both values.
    const bits = (c: string) => BigInt("0x" + c.slice(15, 18) + c.slice(20, 23) + c.slice(24, 26));
    const or = ids.reduce((a, c) => a | bits(c), 0n);
    const and = ids.reduce((a, c) => a & bits(c), (1n << 32n) - 1n);
    expect(or).toBe((1n << 32n) - 1n);
    expect(and).toBe(0n);
  });

  it("re-issues a change id for the unsent rest of an answered row that still carries the row's id", () => {
    const id = order(db);
    const outbox = new OutboxStore(db);
    const batch = outbox.claimBatch(10, 1);
    expect(batch).toHaveLength(1);
    // The row changed after it was sent (what settle guards against), so its rest is a new change.
    db.prepare(`UPDATE outbox SET data = json_set(data, '$.total_cents', 200) WHERE id = ?`).run(batch[0]!.id);
    outbox.recordResults(
      batch,
      [{ changeId: batch[0]!.change_id, status: "APPLIED", version: 1 } as PushResult],
      REJECT_RETRY,
    );
    const [row] = rows(db);
    expect(row!.entity_id).toBe(id);
    expect(row!.status).toBe("PENDING");
    expect(row!.change_id).not.toBe(batch[0]!.change_id);
    expect(outboxIdOf(row!.change_id)).toBe(row!.id);
  });
});

describe("migration to sequence ids", () => {
  /** The committed migrations before `outbox_sequence_ids`: the release a till runs today. */
  function previousRelease(): string {
    const all = migrationsDir("terminal");
    const out = path.join(dir, "migrations");
    for (const name of readdirSync(all)) {
      if (name.endsWith("_outbox_sequence_ids")) break;
      cpSync(path.join(all, name), path.join(out, name), { recursive: true });
    }
    cpSync(path.join(all, "migration_lock.toml"), path.join(out, "migration_lock.toml"));
    return out;
  }

  it("keeps an old till's queue, continues above every id it ever used, and pushes each pending change once", () => {
    const file = path.join(dir, "old.db");
    const old = openTerminalDb(file, previousRelease());
    expect((old.prepare(`SELECT sql FROM sqlite_master WHERE name = 'outbox'`).get() as { sql: string }).sql).toMatch(
      /AUTOINCREMENT/,
    );
    const synced = order(old);
    old.prepare(`UPDATE outbox SET status = 'SYNCED' WHERE entity_id = ?`).run(synced);
    const pending = [order(old), order(old)];
    // The newest row goes: AUTOINCREMENT remembers its id, SQLite's rowid alone would not.
    const gone = order(old);
    old.prepare(`DELETE FROM outbox WHERE entity_id = ?`).run(gone);
    const seq = (old.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'outbox'`).get() as { seq: number }).seq;
    const before = rows(old);
    old.close();

    const db = openTerminalDb(file);
    try {
      expect(rows(db)).toEqual(before);
      const later = order(db);
      const all = rows(db);
      expect(all.at(-1)).toMatchObject({ entity_id: later, id: seq + 1 });
      expect(outboxIdOf(all.at(-1)!.change_id)).toBe(seq + 1);

      // A central that applies each change id once and counts what it was sent.
      const sent = new Map<string, number>();
      const central = (changes: PushChange[]): PushResult[] =>
        changes.map((c) => {
          sent.set(c.changeId, (sent.get(c.changeId) ?? 0) + 1);
          return { changeId: c.changeId, status: "APPLIED", version: 1 } as PushResult;
        });
      const outbox = new OutboxStore(db);
      for (let batch = outbox.claimBatch(1, 1); batch.length > 0; batch = outbox.claimBatch(1, 1))
        outbox.recordResults(batch, central(batch.map((r) => ({ changeId: r.change_id }) as PushChange)), REJECT_RETRY);

      const expected = all.filter((r) => r.status === "PENDING").map((r) => r.change_id);
      expect(expected).toHaveLength(3);
      expect([...sent.keys()].sort()).toEqual([...expected].sort());
      expect([...sent.values()].every((n) => n === 1)).toBe(true);
      expect(
        rows(db)
          .filter((r) => r.entity_id !== synced)
          .map((r) => r.entity_id),
      ).toEqual([...pending, later]);
      expect(rows(db).every((r) => r.status === "SYNCED")).toBe(true);
    } finally {
      db.close();
    }
  });
});

describe("migration to the printf change id", () => {
  it("recreates an existing till's capture triggers and keeps its ids going", () => {
    const all = migrationsDir("terminal");
    const out = path.join(dir, "migrations");
    for (const name of readdirSync(all)) {
      if (name.endsWith("_capture_change_id_printf")) break;
      cpSync(path.join(all, name), path.join(out, name), { recursive: true });
    }
    cpSync(path.join(all, "migration_lock.toml"), path.join(out, "migration_lock.toml"));
    const file = path.join(dir, "old.db");
    const old = openTerminalDb(file, out);
    const trigger = (d: SqliteDb) =>
      (
        d.prepare(`SELECT sql FROM sqlite_master WHERE name = 'tillsync_capture_sale_orders_insert'`).get() as {
          sql: string;
        }
      ).sql;
    expect(trigger(old)).toMatch(/randomblob/);
    order(old);
    const before = rows(old);
    old.close();

    const db = openTerminalDb(file);
    try {
      expect(trigger(db)).not.toMatch(/randomblob/);
      order(db);
      const after = rows(db);
      expect(after.slice(0, 1)).toEqual(before);
      expect(after[1]!.id).toBe(before[0]!.id + 1);
      expect(outboxIdOf(after[1]!.change_id)).toBe(after[1]!.id);
      expect(after[1]!.change_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      db.close();
    }
  });
});
