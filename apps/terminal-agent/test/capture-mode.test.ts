import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { SyncStateStore } from "../src/db/sync-state";
import { openTerminalDb, withoutCapture, type SqliteDb } from "../src/db/terminal-db";

/**
 * A captured row's created_in_mode is sync_state's 'mode' ('ONLINE' when unset) at the time of
 * the write, whoever wrote the mode and however (capture-triggers.ts reads it per row). Pinned
 * here for any cheaper way of reading it (bench/README.md, "Agent: sale latency and capture
 * overhead": a copy in capture_control kept equal by triggers was tried and did not pay).
 */
describe("the mode a captured row records", () => {
  let dir: string;
  let file: string;
  let db: SqliteDb;
  let till: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-mode-"));
    file = path.join(dir, "t.db");
    db = openTerminalDb(file);
    till = new Database(file);
  });

  afterEach(() => {
    till.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The till writes a customer; the mode its outbox row recorded, beside sync_state's. */
  function capturedMode(conn: Database.Database = till): { recorded: string; syncState: string } {
    const id = randomUUID();
    conn.prepare(`INSERT INTO customers (id, name) VALUES (?, 'Ann')`).run(id);
    const { recorded } = conn
      .prepare(`SELECT created_in_mode AS recorded FROM outbox WHERE entity_id = ? AND operation = 'CREATE'`)
      .get(id) as { recorded: string };
    const syncState = conn
      .prepare(`SELECT coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE') AS m`)
      .pluck()
      .get() as string;
    return { recorded, syncState };
  }

  it("follows every write of sync_state's 'mode': the engine's, a hand-run UPDATE, a DELETE, a renamed key", () => {
    const state = new SyncStateStore(db);
    expect(capturedMode()).toEqual({ recorded: "ONLINE", syncState: "ONLINE" }); // never set

    // The engine writes it inside its own transactions (capture off: G7), as when it goes offline.
    withoutCapture(db, () => state.set("mode", "OFFLINE"));
    expect(capturedMode()).toEqual({ recorded: "OFFLINE", syncState: "OFFLINE" });
    state.set("mode", "ONLINE");
    expect(capturedMode()).toEqual({ recorded: "ONLINE", syncState: "ONLINE" });

    till.prepare(`UPDATE sync_state SET value = 'OFFLINE' WHERE key = 'mode'`).run();
    expect(capturedMode()).toEqual({ recorded: "OFFLINE", syncState: "OFFLINE" });
    till.prepare(`DELETE FROM sync_state WHERE key = 'mode'`).run();
    expect(capturedMode()).toEqual({ recorded: "ONLINE", syncState: "ONLINE" });

    till.prepare(`INSERT INTO sync_state (key, value) VALUES ('mode_next', 'OFFLINE')`).run();
    expect(capturedMode()).toEqual({ recorded: "ONLINE", syncState: "ONLINE" }); // another key
    till.prepare(`UPDATE sync_state SET key = 'mode' WHERE key = 'mode_next'`).run();
    expect(capturedMode()).toEqual({ recorded: "OFFLINE", syncState: "OFFLINE" });
    till.prepare(`UPDATE sync_state SET key = 'mode_before' WHERE key = 'mode'`).run();
    expect(capturedMode()).toEqual({ recorded: "ONLINE", syncState: "ONLINE" });
  });
});
