import { randomUUID } from "node:crypto";
import {
  CentralUnreachableError,
  CursorExpiredError,
  Priority,
  type FeedCursor,
  type PullChange,
  type PullResponse,
  type PushChange,
  type PushResult,
} from "@tillsync/shared";
import { waitFor } from "@tillsync/testkit";
import { openTerminalDb, withoutCapture, type SqliteDb } from "../src/db/terminal-db";
import { OutboxStore } from "../src/outbox/outbox-store";
import { pendingFeedRecovery } from "../src/recovery/feed-recovery";
import { resendHeldChanges } from "../src/recovery/resend-held";
import { SyncEngine } from "../src/sync/sync-engine";
import type { EngineOptions } from "../src/sync/engine-options";
import type { CentralTransport } from "../src/transport/central-transport";

const REJECT_RETRY = { maxAttempts: 3, backoffBaseMs: 1000, backoffCapMs: 1000 };
const OPTIONS: EngineOptions = {
  batchSize: 100,
  intervalMs: 60_000,
  pullLimit: 1,
  watchMs: 1000,
  machine: {
    breakerThreshold: 5,
    breakerWindowMs: 30_000,
    breakerFirstCooldownMs: 10_000,
    breakerCooldownMs: 60_000,
    backoff: () => 0,
  },
  rejectRetry: REJECT_RETRY,
  persistState: false,
};

const product = (id: string, price: number): PullChange => ({
  entityType: "products",
  entityId: id,
  operation: "UPSERT",
  data: {
    id,
    sku: `S-${id}`,
    name: "p",
    price_cents: price,
    tax_rate_bp: 0,
    active: true,
    category_id: null,
    brand_id: null,
    version: 3,
  },
  version: 3,
});

/**
 * A central whose feed (one row per page, epoch E2) was compacted past every cursor it gave
 * before: pulls after 0 without its epoch get 410; the page after `failAfter` pages fails once, as a dropped network would.
 */
class CompactedCentral implements CentralTransport {
  pulls: Array<{ since: string; epoch?: string }> = [];
  acked: string[] = [];
  pushed: PushChange[][] = [];
  failAfter: number | undefined;
  /** What central answers each change (default: APPLIED at version 1). */
  answer = (c: PushChange): PushResult => ({ changeId: c.changeId, status: "APPLIED", version: 1 }) as PushResult;
  constructor(private readonly feed: PullChange[]) {}

  async push(changes: PushChange[]): Promise<PushResult[]> {
    this.pushed.push(changes);
    return changes.map((c) => this.answer(c));
  }
  async pull(since: FeedCursor, _limit: number, _t?: unknown, epoch?: string): Promise<PullResponse> {
    this.pulls.push({ since, epoch });
    const at = Number(since);
    if (at !== 0 && epoch !== "E2")
      throw new CursorExpiredError("cursor older than the compacted feed", { epoch: "E2", reason: "COMPACTED" });
    if (this.failAfter !== undefined && at >= this.failAfter) {
      this.failAfter = undefined;
      throw new CentralUnreachableError("connection reset");
    }
    const changes = this.feed.slice(at, at + 1);
    const next = String(Math.min(at + 1, this.feed.length)) as FeedCursor;
    return { changes, nextCursor: next, hasMore: at + 1 < this.feed.length, epoch: "E2" };
  }
  async acknowledge(cursor: FeedCursor): Promise<void> {
    this.acked.push(cursor);
  }
  async heartbeat(): Promise<void> {}
}

describe("feed recovery on the agent", () => {
  let db: SqliteDb;
  const kept = randomUUID();
  const gone = randomUUID();
  const local = randomUUID();
  const fresh = randomUUID();

  beforeEach(() => {
    db = openTerminalDb(":memory:");
  });
  afterEach(() => db.close());

  const ids = () => (db.prepare(`SELECT id FROM products ORDER BY id`).all() as Array<{ id: string }>).map((r) => r.id);

  it("re-downloads after a 410, survives an interrupted download, and keeps the till's unpushed product", async () => {
    withoutCapture(db, () => {
      for (const id of [kept, gone])
        db.prepare(`INSERT INTO products (id, sku, name, price_cents, version) VALUES (?, ?, 'p', 1, 1)`).run(id, id);
      db.prepare(`INSERT INTO sync_state (key, value) VALUES ('cursor', '1'), ('feed_epoch', 'E1')`).run();
    });
    db.prepare(`INSERT INTO products (id, sku, name, price_cents) VALUES (?, 'LOCAL', 'till', 70)`).run(local);
    const central = new CompactedCentral([product(kept, 200), product(fresh, 300)]);
    const engine = new SyncEngine(db, new OutboxStore(db), central, OPTIONS);

    central.failAfter = 1; // the second page of the re-download fails
    const broken = await engine.runCycle(Priority.CRITICAL);
    expect(broken.error).toBe("connection reset");
    expect(pendingFeedRecovery(db)).toEqual({ kind: "CURSOR_EXPIRED", reason: "COMPACTED" });
    expect(ids()).toContain(gone); // nothing is removed before the whole feed is in

    const done = await engine.runCycle(Priority.CRITICAL);
    expect(done.error).toBeUndefined();
    expect(done.recovery).toMatchObject({ kind: "CURSOR_EXPIRED", downloaded: 2, removed: 1, epoch: "E2" });
    expect(pendingFeedRecovery(db)).toBeUndefined();
    expect(ids()).toEqual([kept, local, fresh].sort());
    expect(db.prepare(`SELECT price_cents FROM products WHERE id = ?`).get(kept)).toEqual({ price_cents: 200 });
    // The first page of every re-download is asked without an epoch, the next in the new one.
    expect(central.pulls.filter((p) => p.since === "0").map((p) => p.epoch)).toEqual([undefined, undefined]);
    expect(central.pulls.at(-1)).toEqual({ since: "1", epoch: "E2" });
    expect(central.acked).toEqual(["2"]);
    const history = db.prepare(`SELECT kind, pulled FROM sync_history WHERE kind <> 'CYCLE'`).all();
    expect(history).toEqual([{ kind: "CURSOR_EXPIRED", pulled: 2 }]);

    // Back to normal: the next cycle pulls after the new cursor, in the new epoch.
    expect((await engine.runCycle()).recovery).toBeUndefined();
    expect(central.pulls.at(-1)).toEqual({ since: "2", epoch: "E2" });
    expect(central.pushed.flat().map((c) => c.entityId)).toEqual([local]);
    await engine.stop();
  });

  it("stops between pages when the agent stops, and leaves the recovery to the next start", async () => {
    withoutCapture(db, () => {
      db.prepare(`INSERT INTO sync_state (key, value) VALUES ('cursor', '1'), ('feed_epoch', 'E1')`).run();
    });
    const central = new CompactedCentral([product(kept, 200), product(fresh, 300)]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pull = central.pull.bind(central);
    let inFlight = false;
    central.pull = async (since, limit, t, epoch) => {
      if (since === "0") {
        inFlight = true; // the first page of the re-download is on its way
        await gate;
      }
      return pull(since, limit, t, epoch);
    };
    const engine = new SyncEngine(db, new OutboxStore(db), central, OPTIONS);
    const cycle = engine.runCycle();
    await waitFor(() => inFlight, { what: "the re-download's first page asked" });
    const stopped = engine.stop();
    release();
    expect((await cycle).error).toMatch(/stopped during feed recovery/);
    await stopped;
    expect(central.pulls.filter((p) => p.since !== "0" && p.epoch === "E2")).toEqual([]); // no second page
    expect(pendingFeedRecovery(db)).toEqual({ kind: "CURSOR_EXPIRED", reason: "COMPACTED" });
  });

  it("re-sends every ledger and merge change, a row's newest change otherwise, parents' tables first", async () => {
    const store = randomUUID();
    const order = randomUUID();
    const customer = randomUUID();
    // The tail indexed first, as the claim before any answer does (a tail row is PENDING, capture/captured-tail.ts).
    const synced = () => withoutCapture(db, () => db.prepare(`UPDATE outbox SET status = 'SYNCED'`).run());
    db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 100)`).run(
      order,
      store,
    );
    db.prepare(`INSERT INTO customers (id, name, loyalty_points) VALUES (?, 'c', 1)`).run(customer);
    synced();
    db.prepare(
      `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, 1, 100, 100)`,
    ).run(randomUUID(), order, kept);
    db.prepare(`UPDATE customers SET loyalty_points = 5 WHERE id = ?`).run(customer);
    synced();
    db.prepare(`UPDATE sale_orders SET status = 'COMPLETED' WHERE id = ?`).run(order);
    db.prepare(
      `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, -1, 'SALE')`,
    ).run(randomUUID(), store, kept);
    synced();
    const central = new CompactedCentral([]);
    const r = await resendHeldChanges(db, new OutboxStore(db), central, { batchSize: 2, rejectRetry: REJECT_RETRY });
    expect(r).toMatchObject({ sent: 5, applied: 5 });
    const sent = central.pushed.flat().map((c) => `${c.entityType}:${c.operation}`);
    expect(sent).toEqual([
      "customers:CREATE",
      "customers:UPDATE",
      "sale_orders:UPDATE",
      "sale_order_lines:CREATE",
      "inventory_adjustments:CREATE",
    ]);
    expect(central.pushed.map((b) => b.length)).toEqual([2, 2, 1]);
    // Since a time after everything: nothing.
    const later = new Date(Date.now() + 60_000);
    expect(
      (
        await resendHeldChanges(db, new OutboxStore(db), central, {
          batchSize: 2,
          rejectRetry: REJECT_RETRY,
          since: later,
        })
      ).sent,
    ).toBe(0);
  });

  it("takes nothing from a DUPLICATE: a row central kept is not set back to the version or row of its first answer", async () => {
    withoutCapture(db, () => {
      db.prepare(`INSERT INTO products (id, sku, name, price_cents, version) VALUES (?, 'P', 'p', 100, 1)`).run(kept);
    });
    db.prepare(`UPDATE products SET price_cents = 1 WHERE id = ?`).run(kept);
    withoutCapture(db, () => db.prepare(`UPDATE outbox SET status = 'CONFLICT'`).run()); // the tail indexed first
    // Since then central's row moved on: price 500 at version 7.
    withoutCapture(db, () => db.prepare(`UPDATE products SET price_cents = 500, version = 7 WHERE id = ?`).run(kept));
    const central = new CompactedCentral([]);
    central.answer = (c) =>
      ({
        changeId: c.changeId,
        status: "DUPLICATE",
        original: {
          changeId: c.changeId,
          status: "CONFLICT",
          strategy: "CENTRAL_WINS",
          resolution: "CENTRAL_KEPT",
          version: 2,
          centralData: { ...product(kept, 100).data, version: 2 },
        },
      }) as unknown as PushResult;
    const r = await resendHeldChanges(db, new OutboxStore(db), central, { batchSize: 10, rejectRetry: REJECT_RETRY });
    expect(r).toMatchObject({ sent: 1, duplicates: 1 });
    expect(db.prepare(`SELECT price_cents, version FROM products WHERE id = ?`).get(kept)).toEqual({
      price_cents: 500,
      version: 7,
    });
  });
});
