import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Priority, type PushChange, type PushResult } from "@tillsync/shared";
import { waitFor } from "@tillsync/testkit";
import { openTerminalDb, type SqliteDb } from "../src/db/terminal-db";
import { OutboxStore } from "../src/outbox/outbox-store";
import { DEFERRED_CHECKPOINT_PAGES, pushPipelined } from "../src/sync/push-pipeline";

/**
 * While a push drains, SQLite's automatic checkpoint is deferred (OutboxStore.deferCheckpoints)
 * and the pipeline checkpoints the till's WAL while it waits for central's answer, instead of
 * inside each record-and-claim commit (issue 15). The setting must come back however the push
 * ends, also when two pushes overlap (the sales lane beside a pull).
 */

const RETRY = { maxAttempts: 5, backoffBaseMs: 1000, backoffCapMs: 60_000 };
let dir: string;
let db: SqliteDb;
let outbox: OutboxStore;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tillsync-ckpt-"));
  db = openTerminalDb(path.join(dir, "t.db"));
  outbox = new OutboxStore(db);
  const storeId = randomUUID();
  const add = db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 100)`);
  for (let i = 0; i < 6; i++) add.run(randomUUID(), storeId);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const autoCheckpoint = () => db.pragma("wal_autocheckpoint", { simple: true }) as number;
const applied = (changes: PushChange[]): PushResult[] =>
  changes.map((c) => ({ changeId: c.changeId, status: "APPLIED", version: 1 }) as PushResult);

/** A central whose answers wait until released; records the automatic checkpoint bound at each push. */
function heldCentral() {
  const held: Array<() => void> = [];
  const bounds: number[] = [];
  const push = (changes: PushChange[]) =>
    new Promise<PushResult[]>((resolve) => {
      bounds.push(autoCheckpoint());
      held.push(() => resolve(applied(changes)));
    });
  return { held, bounds, push };
}

const deps = (push: (c: PushChange[]) => Promise<PushResult[]>) => ({
  outbox,
  transport: { push },
  batchSize: 2,
  minPriority: Priority.BACKGROUND,
  rejectRetry: RETRY,
  mayClaim: () => true,
  onOutcome: () => undefined,
});

it("checkpoints while an answer is awaited, with the automatic checkpoint deferred, and puts it back", async () => {
  const checkpoint = jest.spyOn(outbox, "checkpoint");
  const central = heldCentral();
  const run = pushPipelined(deps(central.push));
  let released = 0;
  while (released < 3) {
    await waitFor(() => central.held.length > released);
    // Not answered yet: the agent would only wait, so it copies the WAL into the file meanwhile
    // (once per answer awaited).
    await waitFor(() => checkpoint.mock.calls.length > released);
    central.held[released++]!();
  }
  await run;
  expect(central.bounds).toEqual([DEFERRED_CHECKPOINT_PAGES, DEFERRED_CHECKPOINT_PAGES, DEFERRED_CHECKPOINT_PAGES]);
  expect(autoCheckpoint()).toBe(1000);
  expect((db.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'SYNCED'`).get() as { n: number }).n).toBe(6);
});

it("puts the automatic checkpoint back after a failed push, and after overlapping pushes in either order", async () => {
  await expect(pushPipelined(deps(() => Promise.reject(new Error("connection reset"))))).rejects.toThrow("reset");
  expect(autoCheckpoint()).toBe(1000);

  const first = heldCentral();
  const second = heldCentral();
  const a = pushPipelined({ ...deps(first.push), batchSize: 1 });
  await waitFor(() => first.held.length === 2);
  const b = pushPipelined({ ...deps(second.push), batchSize: 1 });
  await waitFor(() => second.held.length === 2);
  // The first push ends while the second still runs: the bound stays deferred until both have.
  // Rows 1-2 go first, 3-4 beside them, 5-6 with the first push as its answers come: four answers.
  for (let i = 0; i < 4; i++) {
    await waitFor(() => first.held.length > i);
    first.held[i]!();
  }
  await a;
  expect(autoCheckpoint()).toBe(DEFERRED_CHECKPOINT_PAGES);
  second.held.forEach((r) => r());
  await b;
  expect(autoCheckpoint()).toBe(1000);
});
