import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { FeedCursor, PullResponse } from "@tillsync/shared";
import { openTerminalDb, withoutCapture, type SqliteDb } from "../src/db/terminal-db";
import { applyPulledPage } from "../src/sync/pull-applier";
import { cleanupSynced } from "../src/outbox/outbox-maintenance";
import { formatAgentStatus, readAgentStatus } from "../src/status/agent-status";

/**
 * A till's own writes of central-owned tables (issue 12 §2), against the generated triggers on
 * a real SQLite file written by a second connection (the till software's): a direct stock
 * edit becomes a COUNT movement; any other edit is put back to central's row on the next pull.
 */
describe("a till writing central-owned tables", () => {
  let dir: string;
  let agentDb: SqliteDb;
  let till: Database.Database;
  const storeId = randomUUID();
  const productId = randomUUID();
  const itemId = randomUUID();

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-owned-"));
    const file = path.join(dir, "t.db");
    agentDb = openTerminalDb(file);
    till = new Database(file);
    till.pragma("busy_timeout = 5000");
    // Central's stock row, as a pull applied it (capture off, version 3).
    withoutCapture(agentDb, () => {
      agentDb
        .prepare(`INSERT INTO inventory_items (id, store_id, product_id, quantity, version) VALUES (?, ?, ?, 40, 3)`)
        .run(itemId, storeId, productId);
    });
  });

  afterEach(() => {
    till.close();
    agentDb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const shown = () =>
    (agentDb.prepare(`SELECT quantity FROM inventory_items WHERE id = ?`).get(itemId) as { quantity: number }).quantity;
  const adjustments = () =>
    agentDb.prepare(`SELECT store_id, product_id, delta, reason FROM inventory_adjustments ORDER BY rowid`).all();
  const outbox = () =>
    agentDb.prepare(`SELECT entity_type, operation FROM outbox ORDER BY id`).all() as Array<{
      entity_type: string;
      operation: string;
    }>;
  const page = (changes: PullResponse["changes"] = []): PullResponse => ({
    changes,
    nextCursor: "1" as FeedCursor,
    hasMore: false,
  });
  const stockRow = (quantity: number, version: number): PullResponse["changes"][number] => ({
    entityType: "inventory_items",
    entityId: itemId,
    operation: "UPSERT",
    data: { id: itemId, store_id: storeId, product_id: productId, quantity, version },
    version,
  });

  it("turns UPDATE inventory_items SET quantity = 7 into one COUNT adjustment of new − old, sent instead of the stock row", () => {
    till.prepare(`UPDATE inventory_items SET quantity = 7 WHERE id = ?`).run(itemId);
    expect(shown()).toBe(7);
    expect(adjustments()).toEqual([{ store_id: storeId, product_id: productId, delta: -33, reason: "COUNT" }]);
    expect(outbox()).toEqual([{ entity_type: "inventory_adjustments", operation: "CREATE" }]);
    // A second count moves it again by the difference; a write of the same value is no movement.
    till.prepare(`UPDATE inventory_items SET quantity = 10 WHERE id = ?`).run(itemId);
    till.prepare(`UPDATE inventory_items SET quantity = 10 WHERE id = ?`).run(itemId);
    expect(shown()).toBe(10);
    expect(adjustments().map((a) => (a as { delta: number }).delta)).toEqual([-33, 3]);
    expect(agentDb.prepare(`SELECT count(*) AS n FROM local_edits`).get()).toEqual({ n: 0 });
  });

  it("writes the movement in the till's transaction: a rolled-back count leaves neither", () => {
    const tx = till.transaction(() => {
      till.prepare(`UPDATE inventory_items SET quantity = 7 WHERE id = ?`).run(itemId);
      throw new Error("till crashed mid-transaction");
    });
    expect(() => tx()).toThrow(/crashed/);
    expect([shown(), adjustments(), outbox()]).toEqual([40, [], []]);
  });

  it("still moves the counter once for a sale's adjustment, which is no direct edit", () => {
    till
      .prepare(`INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -2, 'SALE')`)
      .run(storeId, productId);
    expect(shown()).toBe(38);
    expect(adjustments()).toHaveLength(1);
    // A product the till has no stock row for yet: the sale creates it, also no direct edit.
    const other = randomUUID();
    till
      .prepare(`INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -1, 'SALE')`)
      .run(storeId, other);
    expect(adjustments()).toHaveLength(2);
    expect(outbox().map((o) => o.entity_type)).toEqual(["inventory_adjustments", "inventory_adjustments"]);
  });

  it("counts a stock row the till adds with a quantity as a movement of that quantity", () => {
    const other = randomUUID();
    till.prepare(`INSERT INTO inventory_items (store_id, product_id, quantity) VALUES (?, ?, 12)`).run(storeId, other);
    expect(adjustments()).toEqual([{ store_id: storeId, product_id: other, delta: 12, reason: "COUNT" }]);
    expect(outbox().map((o) => o.entity_type)).toEqual(["inventory_adjustments"]);
  });

  it("shows central's value plus the unpushed count after a pull (G4)", () => {
    till.prepare(`UPDATE inventory_items SET quantity = 7 WHERE id = ?`).run(itemId);
    // Another till sold 3 meanwhile: central now holds 37.
    applyPulledPage(agentDb, page([stockRow(37, 4)]));
    expect(shown()).toBe(37 - 33);
  });

  it("puts central's row back over any other local edit on the next pull, and counts them per table in status", () => {
    const [cat, brand, madeUp] = [randomUUID(), randomUUID(), randomUUID()];
    withoutCapture(agentDb, () => {
      agentDb.prepare(`INSERT INTO categories (id, name, version) VALUES (?, 'Tea', 2)`).run(cat);
      agentDb.prepare(`INSERT INTO brands (id, name, version) VALUES (?, 'Leafy', 1)`).run(brand);
    });
    till.prepare(`UPDATE categories SET name = 'Tee' WHERE id = ?`).run(cat);
    till.prepare(`UPDATE categories SET name = 'Thé' WHERE id = ?`).run(cat);
    till.prepare(`DELETE FROM brands WHERE id = ?`).run(brand);
    till.prepare(`INSERT INTO categories (id, name) VALUES (?, 'Till-made')`).run(madeUp);
    till.prepare(`UPDATE inventory_items SET product_id = ? WHERE id = ?`).run(randomUUID(), itemId);
    expect(outbox()).toEqual([]);

    applyPulledPage(agentDb, page());
    expect(agentDb.prepare(`SELECT id, name, version FROM categories ORDER BY name`).all()).toEqual([
      { id: cat, name: "Tea", version: 2 },
    ]);
    expect(agentDb.prepare(`SELECT id, name FROM brands`).all()).toEqual([{ id: brand, name: "Leafy" }]);
    expect(agentDb.prepare(`SELECT product_id, quantity FROM inventory_items WHERE id = ?`).get(itemId)).toEqual({
      product_id: productId,
      quantity: 40,
    });
    const status = readAgentStatus(agentDb, 30_000);
    expect(status.localEditsDiscarded).toEqual({ brands: 1, categories: 2, inventory_items: 1 });
    expect(formatAgentStatus(status)).toContain("local edits discarded: 4 (brands 1, categories 2, inventory_items 1)");
    // Put back once: the next pull has nothing more to discard.
    applyPulledPage(agentDb, page());
    expect(readAgentStatus(agentDb, 30_000).localEditsDiscarded).toEqual({
      brands: 1,
      categories: 2,
      inventory_items: 1,
    });
    expect(outbox()).toEqual([]);
  });

  it("puts back a deleted stock row with what the till sold since, in one row for its key (G4)", () => {
    till.prepare(`DELETE FROM inventory_items WHERE id = ?`).run(itemId);
    // A sale after the delete: the display trigger recreates a row for the key, with −2 alone.
    till
      .prepare(`INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -2, 'SALE')`)
      .run(storeId, productId);
    applyPulledPage(agentDb, page());
    expect(agentDb.prepare(`SELECT id, quantity, version FROM inventory_items`).all()).toEqual([
      { id: itemId, quantity: 38, version: 3 },
    ]);
    // Central's row (still 40: the sale is unpushed) shows 40 − 2 as well.
    applyPulledPage(agentDb, page([stockRow(40, 4)]));
    expect(shown()).toBe(38);
  });

  it("forgets discarded edits with the sync history (HISTORY_RETENTION_DAYS), never one still waiting", () => {
    const [old, waiting] = [randomUUID(), randomUUID()];
    withoutCapture(agentDb, () => {
      for (const id of [old, waiting])
        agentDb.prepare(`INSERT INTO categories (id, name, version) VALUES (?, 'Tea', 1)`).run(id);
    });
    till.prepare(`UPDATE categories SET name = 'x' WHERE id = ?`).run(old);
    applyPulledPage(agentDb, page());
    agentDb.prepare(`UPDATE local_edits SET discarded_at = '2020-01-01T00:00:00.000Z'`).run();
    till.prepare(`UPDATE categories SET name = 'y' WHERE id = ?`).run(waiting);
    expect(cleanupSynced(agentDb, 7, 30).history).toBe(1);
    expect(agentDb.prepare(`SELECT entity_id, discarded_at FROM local_edits`).all()).toEqual([
      { entity_id: waiting, discarded_at: null },
    ]);
  });

  it("lets central's newer row in the same page win over the row put back", () => {
    const cat = randomUUID();
    withoutCapture(agentDb, () => {
      agentDb.prepare(`INSERT INTO categories (id, name, version) VALUES (?, 'Tea', 2)`).run(cat);
    });
    till.prepare(`UPDATE categories SET name = 'Tee' WHERE id = ?`).run(cat);
    applyPulledPage(
      agentDb,
      page([
        {
          entityType: "categories",
          entityId: cat,
          operation: "UPSERT",
          data: { id: cat, name: "Teas", version: 3 },
          version: 3,
        },
      ]),
    );
    expect(agentDb.prepare(`SELECT name, version FROM categories WHERE id = ?`).get(cat)).toEqual({
      name: "Teas",
      version: 3,
    });
  });
});
