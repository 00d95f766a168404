import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { START_CURSOR, type PullResponse, type PushChange, type PushResult } from "@tillsync/shared";
import { createAgent, loadAgentConfig, type Agent, type CentralTransport } from "../src";
import { isStorageFailure } from "../src/sync/storage-condition";

/** Central that applies everything and has nothing to send. */
class AcceptingCentral implements CentralTransport {
  pushes = 0;
  /** Runs once central has applied a push, before its answer reaches the agent. */
  afterApply: () => void = () => undefined;
  async push(changes: PushChange[]): Promise<PushResult[]> {
    this.pushes++;
    this.afterApply();
    return changes.map((c) => ({ changeId: c.changeId, status: "APPLIED", version: 1 }) as PushResult);
  }
  async pull(): Promise<PullResponse> {
    return { changes: [], nextCursor: START_CURSOR, hasMore: false } as unknown as PullResponse;
  }
  async acknowledge(): Promise<void> {}
  async heartbeat(): Promise<void> {}
}

/**
 * The storage boundary, without a real full disk (test/full-disk.e2e.test.ts has one): every
 * write statement of the agent's connection fails with SQLITE_FULL while `full` is set.
 */
function failWritesWhile(db: Database.Database, isFull: () => boolean): void {
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    if (!/^\s*(INSERT|UPDATE|DELETE)/i.test(sql)) return stmt;
    const run = stmt.run.bind(stmt);
    stmt.run = ((...args: unknown[]) => {
      if (isFull()) throw new Database.SqliteError("database or disk is full", "SQLITE_FULL");
      return run(...(args as []));
    }) as typeof stmt.run;
    return stmt;
  }) as typeof db.prepare;
}

describe("the engine on a full disk", () => {
  let dir: string;
  let agent: Agent;
  let central: AcceptingCentral;
  let full = false;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-storage-"));
    const config = loadAgentConfig({
      CENTRAL_API_URL: "http://127.0.0.1:9",
      CENTRAL_API_KEY: "k".repeat(32),
      TERMINAL_ID: "00000000-0000-4000-8000-000000000001",
      TERMINAL_DATABASE_URL: `file:${path.join(dir, "t.db")}`,
    });
    central = new AcceptingCentral();
    agent = createAgent(config, central);
    failWritesWhile(agent.db, () => full);
  });
  afterEach(async () => {
    full = false;
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tells storage failures from other errors", () => {
    expect(isStorageFailure(new Database.SqliteError("database or disk is full", "SQLITE_FULL"))).toBe(true);
    expect(isStorageFailure(new Database.SqliteError("disk I/O error", "SQLITE_IOERR_WRITE"))).toBe(true);
    expect(isStorageFailure(Object.assign(new Error("write failed"), { code: "ENOSPC" }))).toBe(true);
    expect(isStorageFailure(new Database.SqliteError("UNIQUE constraint failed", "SQLITE_CONSTRAINT_UNIQUE"))).toBe(
      false,
    );
    expect(isStorageFailure(new TypeError("x is undefined"))).toBe(false);
  });

  it("survives its own writes failing, without counting towards the breaker, and resumes when they work again", async () => {
    agent.db
      .prepare(`INSERT INTO sale_orders (id, store_id, status) VALUES (lower(hex(randomblob(16))), 'store', 'PENDING')`)
      .run();
    full = true;
    const refused = await agent.engine.runCycle();
    expect(refused.storageFull).toBe(true);
    expect(refused.error).toMatch(/disk is full/);
    expect(agent.engine.storageCondition).toMatchObject({ condition: "full", error: "database or disk is full" });
    // Waiting to try again, but not central's fault: the breaker counts nothing.
    expect(agent.engine.current).toMatchObject({ kind: "backing-off", failures: 0 });
    const again = await agent.engine.runCycle();
    expect(again.storageFull).toBe(true);
    expect(agent.engine.current.failures).toBe(0);

    full = false;
    const resumed = await agent.engine.runCycle();
    expect(resumed.error).toBeUndefined();
    expect(resumed.pushed).toBe(1);
    expect(agent.engine.storageCondition).toEqual({ condition: "ok" });
    expect(agent.engine.current.kind).toBe("idle");
    expect(agent.db.prepare(`SELECT DISTINCT status FROM outbox`).all()).toEqual([{ status: "SYNCED" }]);
  });

  it("sends again a batch whose answer it could not record (disk full after the push), once space returns", async () => {
    agent.db
      .prepare(
        `INSERT INTO sale_orders (id, store_id, status) VALUES (lower(hex(randomblob(16))), 'store', 'COMPLETED')`,
      )
      .run();
    central.afterApply = () => (full = true);
    const refused = await agent.engine.runCycle();
    expect(refused.storageFull).toBe(true);
    // Marked as sending before the disk filled; the answer could not be written down.
    expect(agent.db.prepare(`SELECT DISTINCT status FROM outbox`).all()).toEqual([{ status: "SYNCING" }]);

    central.afterApply = () => undefined;
    full = false;
    const resumed = await agent.engine.runCycle();
    expect(resumed.pushed).toBe(1);
    expect(central.pushes).toBe(2); // the same change id again: central answers it DUPLICATE (G1)
    expect(agent.db.prepare(`SELECT DISTINCT status FROM outbox`).all()).toEqual([{ status: "SYNCED" }]);
  });
});
