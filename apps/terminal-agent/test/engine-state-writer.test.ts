import { randomUUID } from "node:crypto";
import type { FeedCursor, PullResponse, PushChange, PushResult } from "@tillsync/shared";
import { waitFor } from "@tillsync/testkit";
import type { SqliteDb } from "../src/db/terminal-db";
import type { OutboxStore } from "../src/outbox/outbox-store";
import { readAgentStatus } from "../src/status/agent-status";
import { SyncEngine } from "../src/sync/sync-engine";
import type { CentralTransport } from "../src/transport/central-transport";
import { ENGINE_TEST_OPTIONS } from "./support/engine-test-options";
import { memoryTill } from "./support/memory-till";

/**
 * The engine writes its state for `status` (sync_state 'engine_state') only when it changed
 * (sync/engine-state-writer.ts): a clean cycle after a clean one writes no state, a cycle's
 * own states show only once it has lasted a while, and what a cycle ends in is written at once.
 */

const OPTS = ENGINE_TEST_OPTIONS;

/** A central whose feed stays at cursor 7 and that applies every push; `fail` and `hold` change that. */
class StubCentral implements CentralTransport {
  fail: Error | undefined;
  held: Array<() => void> = [];
  hold = false;
  push = (changes: PushChange[]): Promise<PushResult[]> => {
    if (this.fail) return Promise.reject(this.fail);
    const results = changes.map((c) => ({ changeId: c.changeId, status: "APPLIED", version: 1 }) as PushResult);
    if (!this.hold) return Promise.resolve(results);
    return new Promise((resolve) => this.held.push(() => resolve(results)));
  };
  pull = (): Promise<PullResponse> =>
    this.fail
      ? Promise.reject(this.fail)
      : Promise.resolve({ changes: [], nextCursor: "7" as FeedCursor, hasMore: false });
  acknowledge = () => Promise.resolve();
  heartbeat = () => Promise.resolve();
}

let db: SqliteDb;
let outbox: OutboxStore;
let central: StubCentral;
let engine: SyncEngine;

/** Every write of a sync_state key, counted by SQLite itself (temporary triggers on the table). */
function countStateWrites(): { of(key: string): number; reset(): void } {
  db.exec(`CREATE TEMP TABLE state_writes (key TEXT NOT NULL)`);
  for (const when of ["INSERT", "UPDATE"])
    db.exec(
      `CREATE TEMP TRIGGER state_writes_${when} AFTER ${when} ON main.sync_state
       BEGIN INSERT INTO state_writes VALUES (new.key); END`,
    );
  return {
    of: (key) => (db.prepare(`SELECT count(*) AS n FROM state_writes WHERE key = ?`).get(key) as { n: number }).n,
    reset: () => db.exec(`DELETE FROM state_writes`),
  };
}

const persisted = () =>
  JSON.parse(
    (db.prepare(`SELECT value FROM sync_state WHERE key = 'engine_state'`).get() as { value: string }).value,
  ) as { kind: string; failures: number };

beforeEach(() => {
  ({ db, outbox } = memoryTill(randomUUID()));
  central = new StubCentral();
  engine = new SyncEngine(db, outbox, central, OPTS);
});

afterEach(async () => {
  await engine.stop();
  db.close();
});

describe("engine state for status", () => {
  it("a clean cycle after a clean cycle writes neither the state nor the mode, and status still reads idle", async () => {
    expect((await engine.runCycle()).error).toBeUndefined();
    const writes = countStateWrites();
    for (let i = 0; i < 3; i++) expect((await engine.runCycle()).error).toBeUndefined();
    expect(writes.of("engine_state")).toBe(0);
    expect(writes.of("mode")).toBe(0);
    expect(writes.of("last_sync_at")).toBe(3); // what status reports as the last sync still moves
    expect(readAgentStatus(db, OPTS.intervalMs)).toMatchObject({ state: "idle", mode: "ONLINE", health: "green" });
  });

  it("writes what a cycle ends in at once: a failure, then the recovery back to idle", async () => {
    await engine.runCycle();
    const writes = countStateWrites();
    central.fail = new Error("connection reset");
    expect((await engine.runCycle()).error).toBe("connection reset");
    expect(persisted()).toMatchObject({ kind: "backing-off", failures: 1 });
    expect(readAgentStatus(db, OPTS.intervalMs)).toMatchObject({ state: "backing-off", consecutiveFailures: 1 });

    central.fail = undefined;
    writes.reset();
    expect((await engine.runCycle()).error).toBeUndefined();
    expect(persisted()).toEqual({ kind: "idle", failures: 0 });
    expect(writes.of("engine_state")).toBe(1);
    expect(readAgentStatus(db, OPTS.intervalMs)).toMatchObject({ state: "idle", mode: "ONLINE" });
  });

  it("shows a cycle that goes on (a push central has not answered) as pushing, then idle once it ends", async () => {
    await engine.runCycle();
    db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 100)`).run(
      randomUUID(),
      randomUUID(),
    );
    central.hold = true;
    const cycle = engine.runCycle();
    await waitFor(() => persisted().kind === "pushing", { what: "a long push written as pushing" });
    expect(readAgentStatus(db, OPTS.intervalMs).state).toBe("pushing");
    central.hold = false;
    for (const answer of central.held.splice(0)) answer();
    expect(await cycle).toMatchObject({ pushed: 1 });
    expect(persisted()).toEqual({ kind: "idle", failures: 0 });
  });
});
