import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PushChange, PushResult } from "@tillsync/shared";
import { openTerminalDb, type SqliteDb } from "../src/db/terminal-db";
import { OutboxStore } from "../src/outbox/outbox-store";
import { resendHeldChanges } from "../src/recovery/resend-held";
import { indexCapturedTail } from "../src/capture/captured-tail";

/**
 * Which confirmed changes `resend` sends, now that "no later change of the row" is one window
 * over the outbox instead of a lookup per row in the (now partial) entity index: of a
 * whole-row table only a row's newest change, and none when a later change still waits; of an
 * append-only or merge table every change; parents' tables first.
 */
describe("resend: the held changes it picks", () => {
  let dir: string;
  let db: SqliteDb;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-resend-rows-"));
    db = openTerminalDb(path.join(dir, "t.db"));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // The tail indexed first, as the claim before any answer does (a tail row is PENDING, capture/captured-tail.ts).
  const confirmAll = () => {
    db.transaction(() => indexCapturedTail(db)).immediate();
    db.prepare(`UPDATE outbox SET status = 'SYNCED', last_attempt_at = created_at`).run();
  };

  async function resent(since?: Date): Promise<Array<Pick<PushChange, "entityType" | "entityId" | "operation">>> {
    const sent: PushChange[] = [];
    await resendHeldChanges(
      db,
      new OutboxStore(db),
      {
        push: async (changes) => {
          sent.push(...changes);
          return changes.map((c) => ({ changeId: c.changeId, status: "DUPLICATE" }) as unknown as PushResult);
        },
      },
      { batchSize: 100, rejectRetry: { maxAttempts: 3, backoffBaseMs: 1, backoffCapMs: 1 }, since },
    );
    return sent.map((c) => ({ entityType: c.entityType, entityId: c.entityId, operation: c.operation }));
  }

  it("sends a row's newest confirmed change only, skips rows with a later change waiting, sends every ledger row", async () => {
    const store = randomUUID();
    const order = randomUUID();
    const waiting = randomUUID();
    const product = randomUUID();
    db.prepare(`INSERT INTO products (id, sku, name, price_cents) VALUES (?, 'S', 'p', 100)`).run(product);
    db.prepare(`INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'PENDING')`).run(order, store);
    db.prepare(`INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'PENDING')`).run(waiting, store);
    const adjust = db.prepare(
      `INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, ?, 'SALE')`,
    );
    adjust.run(store, product, -1);
    confirmAll();
    db.prepare(`UPDATE sale_orders SET status = 'COMPLETED' WHERE id = ?`).run(order);
    adjust.run(store, product, -2);
    confirmAll();
    // A later change of `waiting`, not confirmed yet: its confirmed CREATE must not go again.
    db.prepare(`UPDATE sale_orders SET status = 'VOIDED' WHERE id = ?`).run(waiting);

    const sent = await resent();
    expect(sent.filter((c) => c.entityType === "sale_orders")).toEqual([
      { entityType: "sale_orders", entityId: order, operation: "UPDATE" },
    ]);
    expect(sent.filter((c) => c.entityType === "inventory_adjustments")).toHaveLength(2);
    expect(sent.filter((c) => c.entityType === "products")).toEqual([
      { entityType: "products", entityId: product, operation: "CREATE" },
    ]);
    // Parents' tables first: the order before anything that may hang off it.
    expect(sent.findIndex((c) => c.entityType === "sale_orders")).toBeLessThan(
      sent.findIndex((c) => c.entityType === "inventory_adjustments"),
    );
  });

  it("with --since, leaves out what was confirmed before it and still sees later changes made after it", async () => {
    const store = randomUUID();
    const before = randomUUID();
    db.prepare(`INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'PENDING')`).run(before, store);
    confirmAll();
    db.prepare(`UPDATE outbox SET created_at = '2000-01-01T00:00:00.000Z'`).run();
    db.prepare(`UPDATE sale_orders SET status = 'COMPLETED' WHERE id = ?`).run(before);
    confirmAll();
    expect(await resent(new Date("2020-01-01T00:00:00Z"))).toEqual([
      { entityType: "sale_orders", entityId: before, operation: "UPDATE" },
    ]);
    expect(await resent(new Date(Date.now() + 60_000))).toEqual([]);
  });
});
