import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { readMigrationFiles, migrationsDir } from "@tillsync/shared";
import { captureTriggerSql } from "../src/capture/capture-triggers";
import { openTerminalDb, withoutCapture, type SqliteDb } from "../src/db/terminal-db";

describe("capture triggers", () => {
  let dir: string;
  let agentDb: SqliteDb;
  let other: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-capture-"));
    const file = path.join(dir, "t.db");
    agentDb = openTerminalDb(file);
    other = new Database(file); // the till software's own connection
    other.pragma("busy_timeout = 5000");
  });

  afterEach(() => {
    other.close();
    agentDb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const outbox = () =>
    agentDb.prepare("SELECT entity_type, entity_id, operation, data, base_data, sync_priority FROM outbox ORDER BY id").all() as Array<{
      entity_type: string;
      entity_id: string;
      operation: string;
      data: string | null;
      base_data: string | null;
      sync_priority: number;
    }>;

  it("records insert, update and delete from another connection, in the same transaction", () => {
    const id = randomUUID();
    other.prepare("INSERT INTO customers (id, name, loyalty_points) VALUES (?, 'Ann', 10)").run(id);
    other.prepare("UPDATE customers SET loyalty_points = 15 WHERE id = ?").run(id);
    other.prepare("DELETE FROM customers WHERE id = ?").run(id);
    const rows = outbox();
    expect(rows.map((r) => [r.entity_type, r.entity_id, r.operation])).toEqual([
      ["customers", id, "CREATE"],
      ["customers", id, "UPDATE"],
      ["customers", id, "DELETE"],
    ]);
    expect(JSON.parse(rows[0]!.data!)).toMatchObject({ id, name: "Ann", loyalty_points: 10 });
    expect(JSON.parse(rows[1]!.data!)).toMatchObject({ loyalty_points: 15 });
    expect(JSON.parse(rows[1]!.base_data!)).toMatchObject({ loyalty_points: 10 });
    expect(rows[2]!.data).toBeNull();
    expect(rows.every((r) => r.sync_priority === 6)).toBe(true);
  });

  it("leaves no outbox row for a rolled-back write", () => {
    const tx = other.transaction(() => {
      other.prepare("INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'COMPLETED')").run(randomUUID(), randomUUID());
      throw new Error("till crashed mid-sale");
    });
    expect(() => tx()).toThrow("till crashed mid-sale");
    expect(outbox()).toEqual([]);
  });

  it("derives priorities from the policy: completed orders and payments CRITICAL, lines as their order", () => {
    const done = randomUUID();
    const open = randomUUID();
    const store = randomUUID();
    other.prepare("INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'COMPLETED'), (?, ?, 'PENDING')").run(done, store, open, store);
    other.prepare("INSERT INTO sale_order_lines (order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, 1, 1, 1), (?, ?, 1, 1, 1)").run(done, randomUUID(), open, randomUUID());
    other.prepare("INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CASH', 1)").run(done);
    other.prepare("INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -1, 'SALE')").run(store, randomUUID());
    expect(outbox().map((r) => [r.entity_type, r.sync_priority])).toEqual([
      ["sale_orders", 10],
      ["sale_orders", 9],
      ["sale_order_lines", 10],
      ["sale_order_lines", 9],
      ["payments", 10],
      ["inventory_adjustments", 8],
    ]);
  });

  it("does not capture central-only tables, nor the agent's own writes (G7)", () => {
    other.prepare("INSERT INTO categories (id, name) VALUES (?, 'Drinks')").run(randomUUID());
    withoutCapture(agentDb, () => {
      agentDb.prepare("INSERT INTO products (id, sku, name, price_cents) VALUES (?, 'X', 'x', 1)").run(randomUUID());
    });
    expect(outbox()).toEqual([]);
    // ...while the till's writes to the same table still are.
    other.prepare("INSERT INTO products (id, sku, name, price_cents) VALUES (?, 'Y', 'y', 1)").run(randomUUID());
    expect(outbox().map((r) => r.entity_type)).toEqual(["products"]);
  });

  it("keeps stock adjustments append-only", () => {
    const id = randomUUID();
    other.prepare("INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, -1, 'SALE')").run(id, randomUUID(), randomUUID());
    expect(() => other.prepare("UPDATE inventory_adjustments SET delta = -5 WHERE id = ?").run(id)).toThrow(/append-only/);
    expect(() => other.prepare("DELETE FROM inventory_adjustments WHERE id = ?").run(id)).toThrow(/append-only/);
  });

  it("is committed exactly as the policy generates it", () => {
    const committed = readMigrationFiles(migrationsDir("terminal")).filter((m) => m.sql.includes("tillsync_capture_"));
    expect(committed.length).toBeGreaterThan(0);
    expect(committed[committed.length - 1]!.sql).toContain(captureTriggerSql());
  });
});
