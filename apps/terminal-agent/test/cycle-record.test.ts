import { randomUUID } from "node:crypto";
import type { FeedCursor, PullResponse } from "@tillsync/shared";
import type { SqliteDb } from "../src/db/terminal-db";
import { SyncEngine } from "../src/sync/sync-engine";
import type { CentralTransport } from "../src/transport/central-transport";
import { ENGINE_TEST_OPTIONS } from "./support/engine-test-options";
import { memoryTill } from "./support/memory-till";

/**
 * A clean cycle records itself in one commit (sync-engine.ts): last_sync_at, which `status`
 * reports as the last sync, and the cycle's row in sync_history go together, so neither claims
 * a sync the other does not show (and a triggered cycle commits the till's file once less).
 */

const OPTS = ENGINE_TEST_OPTIONS;

/** A central whose feed stays at cursor 7, with nothing to push. */
const central: CentralTransport = {
  push: () => Promise.resolve([]),
  pull: (): Promise<PullResponse> => Promise.resolve({ changes: [], nextCursor: "7" as FeedCursor, hasMore: false }),
  acknowledge: () => Promise.resolve(),
  heartbeat: () => Promise.resolve(),
};

let db: SqliteDb;
let engine: SyncEngine;

const lastSyncAt = () =>
  (db.prepare(`SELECT value FROM sync_state WHERE key = 'last_sync_at'`).get() as { value: string } | undefined)?.value;
const history = () =>
  db.prepare(`SELECT id, error FROM sync_history WHERE kind = 'CYCLE' ORDER BY id`).all() as Array<{
    id: number;
    error: string | null;
  }>;

beforeEach(() => {
  const till = memoryTill(randomUUID());
  db = till.db;
  engine = new SyncEngine(db, till.outbox, central, OPTS);
});

afterEach(async () => {
  await engine.stop();
  db.close();
});

describe("a cycle's record", () => {
  it("a clean cycle sets last_sync_at and writes its history row", async () => {
    const r = await engine.runCycle();
    expect(r.error).toBeUndefined();
    expect(lastSyncAt()).toEqual(expect.any(String));
    expect(history()).toEqual([{ id: r.cycleId, error: null }]);
  });

  it("when the clean cycle's history row cannot be written, last_sync_at does not move and the failure is recorded", async () => {
    // SQLite itself refuses the row of a clean cycle (error IS NULL), as a failing write would.
    db.exec(`CREATE TEMP TRIGGER refuse_clean_record BEFORE INSERT ON main.sync_history
             WHEN new.error IS NULL BEGIN SELECT RAISE(ABORT, 'history refused'); END`);
    const r = await engine.runCycle();
    expect(r.error).toBe("history refused");
    expect(lastSyncAt()).toBeUndefined();
    expect(history()).toEqual([{ id: r.cycleId, error: "history refused" }]);

    db.exec(`DROP TRIGGER refuse_clean_record`);
    const next = await engine.runCycle();
    expect(next.error).toBeUndefined();
    expect(lastSyncAt()).toEqual(expect.any(String));
    expect(history().at(-1)).toEqual({ id: next.cycleId, error: null });
  });
});
