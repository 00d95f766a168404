import { randomUUID } from "node:crypto";
import { DEFAULT_SYNC_POLICY, Priority, type PushChange, type PushResult } from "@tillsync/shared";
import { waitFor } from "@tillsync/testkit";
import type { SqliteDb } from "../src/db/terminal-db";
import type { OutboxRow, OutboxStore } from "../src/outbox/outbox-store";
import { pushPipelined, type PipelineDeps } from "../src/sync/push-pipeline";
import { UrgentSignal } from "../src/sync/urgent-signal";
import { memoryTill } from "./support/memory-till";

/**
 * Two batches in flight (sync/push-pipeline.ts) keep causality: the batch chosen beside one
 * still unanswered never carries a change of a row in flight, of a child under an order in
 * flight, or of the order over a line in flight, so central may apply the two in either order.
 */

const REJECT_RETRY = { maxAttempts: 5, backoffBaseMs: 1000, backoffCapMs: 60_000 };
const storeId = randomUUID();
const productId = randomUUID();

let db: SqliteDb;
let outbox: OutboxStore;

beforeEach(() => ({ db, outbox } = memoryTill(productId)));

afterEach(() => db.close());

function order(status = "PENDING"): string {
  const id = randomUUID();
  db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, ?, 100)`).run(
    id,
    storeId,
    status,
  );
  return id;
}

function line(orderId: string): string {
  const id = randomUUID();
  db.prepare(
    `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, 1, 100, 100)`,
  ).run(id, orderId, productId);
  return id;
}

function payment(orderId: string): string {
  const id = randomUUID();
  db.prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CASH', 100)`).run(id, orderId);
  return id;
}

const complete = (orderId: string) =>
  db
    .prepare(`UPDATE sale_orders SET status = 'COMPLETED', completed_at = '2026-12-01T10:00:00.000Z' WHERE id = ?`)
    .run(orderId);

/** The rows a change touches for causality: its own row and, for a line or payment, its order. */
function family(c: Pick<PushChange, "entityType" | "entityId" | "data" | "baseData">): string[] {
  const keys = [`${c.entityType}|${c.entityId}`];
  const fk = DEFAULT_SYNC_POLICY[c.entityType].parent?.foreignKey;
  const ref = fk ? ((c.data ?? c.baseData)?.[fk] as string | undefined) : undefined;
  if (ref) keys.push(`sale_orders|${ref}`);
  return keys;
}

const applied = (changes: PushChange[]): PushResult[] =>
  changes.map((c) => ({ changeId: c.changeId, status: "APPLIED", version: 1 }) as PushResult);

/** A central that answers only when the test says so, and checks every batch against those unanswered. */
class HeldCentral {
  readonly pushes: Array<{ changes: PushChange[]; answer(): void; answered: boolean }> = [];
  maxInFlight = 0;
  overlaps: string[] = [];

  push = (changes: PushChange[]): Promise<PushResult[]> => {
    const inFlight = this.pushes.filter((p) => !p.answered);
    const held = new Set(inFlight.flatMap((p) => p.changes.flatMap(family)));
    for (const c of changes) for (const k of family(c)) if (held.has(k)) this.overlaps.push(k);
    this.maxInFlight = Math.max(this.maxInFlight, inFlight.length + 1);
    return new Promise((resolve) => {
      const p = {
        changes,
        answered: false,
        answer: () => {
          p.answered = true;
          resolve(applied(changes));
        },
      };
      this.pushes.push(p);
    });
  };

  /**
   * Answers the pushes, the newer of two in flight first. A lone push is answered only after two
   * turns of the event loop: the pipeline claims its second batch one turn after sending the
   * first, so that batch is chosen while the first is still unanswered.
   */
  async drain(done: Promise<void>): Promise<void> {
    let finished = false;
    void done.finally(() => (finished = true));
    const open = () => this.pushes.filter((p) => !p.answered);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    while (!finished) {
      await waitFor(() => finished || open().length > 0, { what: "a push or the end" });
      if (open().length < 2) {
        await turn();
        await turn();
      }
      open().at(-1)?.answer();
    }
  }
}

const answered = (rows: OutboxRow[]): PushResult[] =>
  rows.map((r) => ({ changeId: r.change_id, status: "APPLIED", version: 1 }) as PushResult);

const claimed = (rows: OutboxRow[]) => rows.map((r) => `${r.entity_type}|${r.entity_id}`);

/** pushPipelined over the whole outbox, with what a test leaves out taken as always-yes. */
const pipeline = (d: Pick<PipelineDeps, "transport" | "batchSize"> & Partial<PipelineDeps>): Promise<void> =>
  pushPipelined({
    outbox,
    minPriority: Priority.BACKGROUND,
    rejectRetry: REJECT_RETRY,
    mayClaim: () => true,
    onOutcome: () => undefined,
    ...d,
  });

describe("marking a batch in flight", () => {
  const pagesOf = (name: string) =>
    (db.prepare(`SELECT count(*) AS n FROM dbstat WHERE name = ?`).get(name) as { n: number }).n;

  it("rewrites the claimed rows in place: the outbox gains no page", () => {
    for (let i = 0; i < 250; i++) {
      const o = order("COMPLETED");
      line(o);
      payment(o);
    }
    const before = pagesOf("outbox");
    expect(outbox.claimBatch(1000, Priority.BACKGROUND)).toHaveLength(750);
    expect(pagesOf("outbox")).toBe(before);
  });

  it("reads each claimed row with what a push sends and settles, not the outbox's bookkeeping", () => {
    const o = order();
    outbox.release(outbox.claimBatch(10, Priority.BACKGROUND).map((r) => r.id));
    db.prepare(`UPDATE sale_orders SET status = 'COMPLETED' WHERE id = ?`).run(o); // CRITICAL, brings its CREATE along
    const batch = outbox.claimBatch(10, Priority.CRITICAL);
    expect(batch.map((r) => r.operation)).toEqual(["CREATE", "UPDATE"]);
    for (const r of batch)
      expect(Object.keys(r).sort()).toEqual(
        [
          "attempts",
          "base_data",
          "base_version",
          "change_id",
          "created_at",
          "created_in_mode",
          "data",
          "entity_id",
          "entity_type",
          "id",
          "operation",
          "status",
          "sync_priority",
        ].sort(),
      );
  });

  /** The order's edit after its change went back to PENDING one way or another: a change of its own (G1). */
  const editAfter = (back: (batch: OutboxRow[]) => void) => {
    const id = order();
    const batch = outbox.claimBatch(10, Priority.BACKGROUND);
    back(batch);
    db.prepare(`UPDATE sale_orders SET total_cents = 250 WHERE id = ?`).run(id);
    const rows = db
      .prepare(`SELECT operation, data, status, last_attempt_at FROM outbox WHERE entity_id = ? ORDER BY id`)
      .all(id) as Array<Pick<OutboxRow, "operation" | "data" | "status"> & { last_attempt_at: string | null }>;
    expect(rows.map((r) => [r.operation, JSON.parse(r.data!).total_cents])).toEqual([
      ["CREATE", 100],
      ["UPDATE", 250],
    ]);
    expect(rows[0]!.last_attempt_at).not.toBeNull();
  };

  it("an edit made after a release never folds into the change sent", () =>
    editAfter((batch) => outbox.release(batch.map((r) => r.id))));

  it("an edit made after a rejection never folds into the change sent", () =>
    editAfter((batch) =>
      outbox.recordResults(
        batch,
        batch.map((r) => ({ changeId: r.change_id, status: "REJECTED", reason: "no" }) as PushResult),
        REJECT_RETRY,
      ),
    ));

  it("an edit made after a dead process's batch was reset never folds into the change sent", () =>
    editAfter(() => outbox.resetInFlight()));
});

describe("choosing a batch beside one in flight", () => {
  it("holds back the order over a line in flight, though its change came after the line", () => {
    const o = order();
    const first = outbox.claimBatch(10, Priority.BACKGROUND);
    outbox.recordResults(first, answered(first), REJECT_RETRY);
    const l = line(o);
    const inFlight = outbox.claimBatch(10, Priority.BACKGROUND);
    expect(claimed(inFlight)).toEqual([`sale_order_lines|${l}`]);
    complete(o); // a CRITICAL change of the line's order, committed after the line
    const other = order();

    const beside = outbox.claimBatch(10, Priority.BACKGROUND, inFlight);
    expect(claimed(beside)).toEqual([`sale_orders|${other}`]);
    // Without knowing what is in flight, the completion would go beside its line.
    outbox.release(beside.map((r) => r.id));
    expect(claimed(outbox.nextBatch(10, Priority.BACKGROUND))).toContain(`sale_orders|${o}`);
  });

  it("holds back a line and a payment under an order in flight, and a later change of a row in flight", () => {
    const o = order();
    const inFlight = outbox.claimBatch(10, Priority.BACKGROUND);
    complete(o); // a new change of the row in flight (not folded into the one sent)
    line(o);
    payment(o);
    const other = order();
    const otherLine = line(other);

    const beside = outbox.claimBatch(10, Priority.BACKGROUND, inFlight);
    expect(claimed(beside).sort()).toEqual([`sale_orders|${other}`, `sale_order_lines|${otherLine}`].sort());
  });
});

describe("pushPipelined", () => {
  it("keeps two batches in flight, never touching one family, and syncs everything", async () => {
    for (let i = 0; i < 12; i++) {
      const o = order();
      line(o);
      if (i % 2 === 0) payment(o);
      if (i % 3 === 0) complete(o);
    }
    const central = new HeldCentral();
    let edited = false;
    const outcomes: number[] = [];
    const done = pipeline({
      transport: central,
      batchSize: 4,
      mayClaim: () => {
        // Later changes of rows already sent, so the pipeline meets rows and families in flight.
        if (central.pushes.length === 2 && !edited) {
          edited = true;
          for (const o of db.prepare(`SELECT id FROM sale_orders`).all() as Array<{ id: string }>) complete(o.id);
        }
        return true;
      },
      onOutcome: (o) => outcomes.push(o.synced),
    });
    await Promise.all([done, central.drain(done)]);

    expect(central.overlaps).toEqual([]);
    expect(central.maxInFlight).toBe(2);
    const left = db.prepare(`SELECT count(*) AS n FROM outbox WHERE status <> 'SYNCED'`).get() as { n: number };
    expect(left.n).toBe(0);
    expect(outcomes.reduce((a, b) => a + b, 0)).toBe(central.pushes.reduce((a, p) => a + p.changes.length, 0));
  });

  it("never sends an order's completion beside a batch still carrying its lines", async () => {
    const orders = Array.from({ length: 6 }, () => order());
    outbox.recordResults(outbox.claimBatch(10, Priority.BACKGROUND), [], REJECT_RETRY);
    db.prepare(`UPDATE outbox SET status = 'SYNCED'`).run(); // the orders reached central earlier
    for (const o of orders.slice(0, 2)) line(o); // the first batch
    const central = new HeldCentral();
    let completed = false;
    const done = pipeline({
      transport: central,
      batchSize: 2,
      mayClaim: () => {
        // The first batch (two lines) is in flight: every order is completed now, the first two
        // over those lines; their completions come first in line for the next batch.
        if (central.pushes.length === 1 && !completed) {
          completed = true;
          for (const o of orders) complete(o);
        }
        return true;
      },
    });
    await Promise.all([done, central.drain(done)]);

    expect(completed).toBe(true);
    expect(central.overlaps).toEqual([]);
    expect(central.maxInFlight).toBe(2);
    const left = db.prepare(`SELECT count(*) AS n FROM outbox WHERE status <> 'SYNCED'`).get() as { n: number };
    expect(left.n).toBe(0);
  });

  it("with nothing ready to send, opens no write transaction and sends nothing", async () => {
    // A till with nothing to send (what a DATA_CHANGED trigger meets on most tills): one sale
    // already SYNCED, one change waiting out its backoff after a rejection.
    order();
    order();
    const [done, waiting] = outbox.claimBatch(10, Priority.BACKGROUND);
    outbox.recordResults([done!], answered([done!]), REJECT_RETRY);
    db.prepare(`UPDATE outbox SET status = 'PENDING', next_attempt_at = '2999-01-01T00:00:00.000Z' WHERE id = ?`).run(
      waiting!.id,
    );
    // claimBatch's IMMEDIATE transaction (and atomically's) is better-sqlite3's db.transaction.
    const transactions = jest.spyOn(db, "transaction");
    const pushes: PushChange[][] = [];
    await pipeline({
      transport: { push: (changes) => (pushes.push(changes), Promise.resolve(applied(changes))) },
      batchSize: 10,
      urgent: new UrgentSignal(),
    });
    expect(transactions).not.toHaveBeenCalled();
    expect(pushes).toEqual([]);
    transactions.mockRestore();
  });

  it("releases a batch whose push failed, still records the one beside it, and then throws", async () => {
    for (let i = 0; i < 4; i++) order();
    let n = 0;
    const transport = {
      push: (changes: PushChange[]) =>
        ++n === 1 ? Promise.reject(new Error("connection reset")) : Promise.resolve(applied(changes)),
    };
    await expect(
      pipeline({
        transport,
        batchSize: 2,
      }),
    ).rejects.toThrow("connection reset");
    const statuses = db.prepare(`SELECT status, count(*) AS n FROM outbox GROUP BY status ORDER BY status`).all();
    expect(statuses).toEqual([
      { status: "PENDING", n: 2 },
      { status: "SYNCED", n: 2 },
    ]);
  });
});

describe("CRITICAL first behind a backlog", () => {
  const customers = (n: number) => {
    const c = db.prepare(`INSERT INTO customers (id, name, email) VALUES (?, ?, ?)`);
    for (let i = 0; i < n; i++) c.run(randomUUID(), `backlog ${i}`, `b${i}@example.com`);
  };
  /** A completed sale: order, line and payment, the order COMPLETED (CRITICAL). */
  const sale = () => {
    const o = order();
    line(o);
    payment(o);
    complete(o);
    return o;
  };
  const types = (p: { changes: PushChange[] }) => [...new Set(p.changes.map((c) => c.entityType))].sort();
  const SALE_TYPES = ["payments", "sale_order_lines", "sale_orders"];

  it("sends a sale committed while both backlog batches are unanswered at once, in a batch of its own", async () => {
    customers(40);
    const central = new HeldCentral();
    const urgent = new UrgentSignal();
    const done = pipeline({
      transport: central,
      batchSize: 10,
      urgent,
    });
    await waitFor(() => central.pushes.length === 2, { what: "two backlog batches in flight" });
    const o = sale();
    urgent.raise(); // what the engine's data_version poll does when it sees the sale
    await waitFor(() => central.pushes.length === 3, { what: "the sale's own push" });
    const lane = central.pushes[2]!;
    expect(central.pushes.slice(0, 2).every((p) => !p.answered)).toBe(true);
    expect(types(lane)).toEqual(SALE_TYPES);
    expect(lane.changes.find((c) => c.entityType === "sale_orders")?.entityId).toBe(o);
    await Promise.all([done, central.drain(done)]);
    expect(central.overlaps).toEqual([]);
    expect(central.maxInFlight).toBe(3);
    const left = db.prepare(`SELECT count(*) AS n FROM outbox WHERE status <> 'SYNCED'`).get() as { n: number };
    expect(left.n).toBe(0);
  });

  it("without the signal the sale waits for a slot, but never rides in a backlog batch", async () => {
    customers(40);
    const central = new HeldCentral();
    let sold = false;
    const done = pipeline({
      transport: central,
      batchSize: 10,
      mayClaim: () => {
        if (central.pushes.length === 2 && !sold) {
          sold = true;
          sale();
        }
        return true;
      },
    });
    await Promise.all([done, central.drain(done)]);
    expect(sold).toBe(true);
    const withSale = central.pushes.filter((p) => p.changes.some((c) => c.entityType === "sale_orders"));
    expect(withSale.map(types)).toEqual([SALE_TYPES]);
    expect(central.maxInFlight).toBe(2);
  });

  it("lets the backlog go on when every ready sale waits on its order in flight", async () => {
    const o = order();
    customers(20);
    const central = new HeldCentral();
    let completed = false;
    const done = pipeline({
      transport: central,
      batchSize: 5,
      mayClaim: () => {
        // The order's first change is in flight: its completion must wait, the customers need not.
        if (central.pushes.length === 1 && !completed) {
          completed = true;
          complete(o);
        }
        return true;
      },
    });
    await waitFor(() => central.pushes.length === 2, { what: "a second batch beside the order" });
    expect(types(central.pushes[1]!)).toEqual(["customers"]);
    await Promise.all([done, central.drain(done)]);
    expect(central.overlaps).toEqual([]);
    const left = db.prepare(`SELECT count(*) AS n FROM outbox WHERE status <> 'SYNCED'`).get() as { n: number };
    expect(left.n).toBe(0);
  });
});
