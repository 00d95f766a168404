import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { migrationsDir } from "@tillsync/shared";
import { capturedTailLength, indexCapturedTail } from "../src/capture/captured-tail";
import { OUTBOX_STATUS_INDEX, OUTBOX_UNCONFIRMED_ENTITY_INDEX } from "../src/capture/outbox-indexes";
import { openTerminalDb, type SqliteDb } from "../src/db/terminal-db";
import { OutboxStore } from "../src/outbox/outbox-store";

/**
 * A till's database from before the partial entity index (issue 15) is migrated when the agent
 * opens it: the full (entity_type, entity_id) index goes, the partial one holds exactly the
 * unconfirmed rows already in the outbox, and capture keeps folding through it.
 */
describe("outbox entity index migration", () => {
  let dir: string;
  const file = () => path.join(dir, "t.db");

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-index-migration-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The committed migrations up to the one before `before`. */
  function previousRelease(before = "_outbox_unconfirmed_entity_index"): string {
    const all = migrationsDir("terminal");
    const out = path.join(dir, "migrations");
    for (const name of readdirSync(all)) {
      if (name.endsWith(before)) break;
      cpSync(path.join(all, name), path.join(out, name), { recursive: true });
    }
    cpSync(path.join(all, "migration_lock.toml"), path.join(out, "migration_lock.toml"));
    return out;
  }

  const indexes = (db: SqliteDb) =>
    (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'`).all() as Array<{
        name: string;
      }>
    )
      .map((r) => r.name)
      .sort();

  it("replaces the full entity index with the partial one on open, keeping the queued rows findable", () => {
    const old = openTerminalDb(file(), previousRelease());
    expect(indexes(old)).toContain("outbox_entity_type_entity_id_idx");
    expect(indexes(old)).not.toContain(OUTBOX_UNCONFIRMED_ENTITY_INDEX);
    const order = randomUUID();
    const synced = randomUUID();
    const insert = old.prepare(
      `INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 100)`,
    );
    insert.run(synced, randomUUID());
    old.prepare(`UPDATE outbox SET status = 'SYNCED' WHERE entity_id = ?`).run(synced);
    insert.run(order, randomUUID());
    old.close();

    const db = openTerminalDb(file());
    try {
      expect(indexes(db)).not.toContain("outbox_entity_type_entity_id_idx");
      expect(indexes(db)).toContain(OUTBOX_UNCONFIRMED_ENTITY_INDEX);
      const inIndex = db
        .prepare(
          `SELECT entity_id FROM outbox INDEXED BY ${OUTBOX_UNCONFIRMED_ENTITY_INDEX}
                   WHERE entity_type = 'sale_orders' AND confirmed = 0`,
        )
        .all() as Array<{ entity_id: string }>;
      expect(inIndex.map((r) => r.entity_id)).toEqual([order]);
      // The still-PENDING CREATE written under the old schema absorbs the edit.
      db.prepare(`UPDATE sale_orders SET status = 'COMPLETED' WHERE id = ?`).run(order);
      const rows = db.prepare(`SELECT operation, data FROM outbox WHERE entity_id = ?`).all(order) as Array<{
        operation: string;
        data: string;
      }>;
      expect(rows).toHaveLength(1);
      expect(rows[0]!.operation).toBe("CREATE");
      expect(JSON.parse(rows[0]!.data)).toMatchObject({ status: "COMPLETED" });
      // Opening again changes nothing.
      db.close();
      const again = openTerminalDb(file());
      expect(indexes(again)).toEqual(indexes(openTerminalDb(":memory:")));
      again.close();
    } finally {
      if (db.open) db.close();
    }
  });

  it("moves the partial index off `status`: rows central confirmed are marked, the rest stay findable", () => {
    const old = openTerminalDb(file(), previousRelease("_outbox_confirmed_flag"));
    expect(indexes(old)).toContain("outbox_unconfirmed_entity_idx");
    const ids = Object.fromEntries(
      ["PENDING", "SYNCING", "FAILED", "SYNCED", "CONFLICT"].map((status) => [status, randomUUID()]),
    );
    const insert = old.prepare(`INSERT INTO customers (id, name) VALUES (?, 'c')`);
    for (const [status, id] of Object.entries(ids)) {
      insert.run(id);
      old.prepare(`UPDATE outbox SET status = ? WHERE entity_id = ?`).run(status, id);
    }
    old.close();

    const db = openTerminalDb(file());
    try {
      expect(indexes(db)).not.toContain("outbox_unconfirmed_entity_idx");
      expect(indexes(db)).toContain(OUTBOX_UNCONFIRMED_ENTITY_INDEX);
      const flags = db.prepare(`SELECT status, confirmed FROM outbox ORDER BY id`).all();
      expect(flags).toEqual([
        { status: "PENDING", confirmed: 0 },
        { status: "SYNCING", confirmed: 0 },
        { status: "FAILED", confirmed: 0 },
        { status: "SYNCED", confirmed: 1 },
        { status: "CONFLICT", confirmed: 1 },
      ]);
      const inIndex = db
        .prepare(
          `SELECT entity_id FROM outbox INDEXED BY ${OUTBOX_UNCONFIRMED_ENTITY_INDEX}
            WHERE entity_type = 'customers' AND confirmed = 0 ORDER BY id`,
        )
        .all() as Array<{ entity_id: string }>;
      expect(inIndex.map((r) => r.entity_id)).toEqual([ids.PENDING, ids.SYNCING, ids.FAILED]);
      // The PENDING CREATE from before still absorbs an edit, through the new index.
      db.prepare(`UPDATE customers SET name = 'edited' WHERE id = ?`).run(ids.PENDING);
      expect(db.prepare(`SELECT count(*) AS n FROM outbox WHERE entity_id = ?`).get(ids.PENDING)).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it("replaces the full status index with one that leaves the captured tail out, the queue still claimed whole", () => {
    const old = openTerminalDb(file(), previousRelease("_outbox_status_index_without_tail"));
    expect(indexes(old)).toContain("outbox_status_sync_priority_id_idx");
    const insert = old.prepare(`INSERT INTO customers (id, name) VALUES (?, 'c')`);
    const indexed = randomUUID();
    insert.run(indexed);
    old.transaction(() => indexCapturedTail(old)).immediate(); // the agent indexed it
    const inTail = randomUUID();
    insert.run(inTail); // still in the captured tail when the agent upgrades
    old.close();

    const db = openTerminalDb(file());
    try {
      expect(indexes(db)).not.toContain("outbox_status_sync_priority_id_idx");
      expect(indexes(db)).toContain(OUTBOX_STATUS_INDEX);
      expect(capturedTailLength(db)).toBe(1);
      const inIndex = db
        .prepare(`SELECT entity_id FROM outbox INDEXED BY ${OUTBOX_STATUS_INDEX} WHERE confirmed <> 2`)
        .all() as Array<{ entity_id: string }>;
      expect(inIndex.map((r) => r.entity_id)).toEqual([indexed]);
      const outbox = new OutboxStore(db);
      expect(outbox.hasReady(0)).toBe(true);
      expect(outbox.claimBatch(100, 0).map((r) => r.entity_id)).toEqual([indexed, inTail]);
      db.close();
      const again = openTerminalDb(file());
      expect(indexes(again)).toEqual(indexes(openTerminalDb(":memory:")));
      again.close();
    } finally {
      if (db.open) db.close();
    }
  });
});
