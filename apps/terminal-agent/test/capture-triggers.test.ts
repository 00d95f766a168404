import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { readMigrationFiles, migrationsDir } from "@tillsync/shared";
import { captureTriggerSql } from "../src/capture/capture-triggers";
import { capturedTailLength } from "../src/capture/captured-tail";
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
    agentDb
      .prepare("SELECT entity_type, entity_id, operation, data, base_data, sync_priority FROM outbox ORDER BY id")
      .all() as Array<{
      entity_type: string;
      entity_id: string;
      operation: string;
      data: string | null;
      base_data: string | null;
      sync_priority: number;
    }>;

  it("records insert, update and delete from another connection, in the same transaction", () => {
    const [x, y, z] = [randomUUID(), randomUUID(), randomUUID()];
    // y and z came from central earlier (applied without capture, version 4).
    withoutCapture(agentDb, () => {
      const ins = agentDb.prepare("INSERT INTO customers (id, name, loyalty_points, version) VALUES (?, ?, 10, 4)");
      ins.run(y, "Yan");
      ins.run(z, "Zoe");
    });
    other.prepare("INSERT INTO customers (id, name, loyalty_points) VALUES (?, 'Ann', 10)").run(x);
    other.prepare("UPDATE customers SET loyalty_points = 15 WHERE id = ?").run(y);
    other.prepare("DELETE FROM customers WHERE id = ?").run(z);
    const rows = outbox();
    expect(rows.map((r) => [r.entity_type, r.entity_id, r.operation])).toEqual([
      ["customers", x, "CREATE"],
      ["customers", y, "UPDATE"],
      ["customers", z, "DELETE"],
    ]);
    expect(JSON.parse(rows[0]!.data!)).toMatchObject({ id: x, name: "Ann", loyalty_points: 10 });
    expect(rows[0]!.base_data).toBeNull();
    expect(JSON.parse(rows[1]!.data!)).toMatchObject({ id: y, loyalty_points: 15 });
    expect(JSON.parse(rows[1]!.base_data!)).toMatchObject({ loyalty_points: 10, version: 4 });
    expect(rows[2]!.data).toBeNull();
    expect(JSON.parse(rows[2]!.base_data!)).toMatchObject({ id: z, name: "Zoe" });
    expect(rows.every((r) => r.sync_priority === 6)).toBe(true);
    const bases = agentDb.prepare("SELECT base_version FROM outbox ORDER BY id").all();
    expect(bases).toEqual([{ base_version: null }, { base_version: 4 }, { base_version: 4 }]);
  });

  it("leaves no outbox row for a rolled-back write", () => {
    const tx = other.transaction(() => {
      other
        .prepare("INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'COMPLETED')")
        .run(randomUUID(), randomUUID());
      throw new Error("till crashed mid-sale");
    });
    expect(() => tx()).toThrow("till crashed mid-sale");
    expect(outbox()).toEqual([]);
  });

  it("derives priorities from the policy: completed orders and payments CRITICAL, lines as their order", () => {
    const done = randomUUID();
    const open = randomUUID();
    const store = randomUUID();
    other
      .prepare("INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'COMPLETED'), (?, ?, 'PENDING')")
      .run(done, store, open, store);
    other
      .prepare(
        "INSERT INTO sale_order_lines (order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, 1, 1, 1), (?, ?, 1, 1, 1)",
      )
      .run(done, randomUUID(), open, randomUUID());
    other.prepare("INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CASH', 1)").run(done);
    other
      .prepare("INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -1, 'SALE')")
      .run(store, randomUUID());
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
    other
      .prepare(
        "INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, -1, 'SALE')",
      )
      .run(id, randomUUID(), randomUUID());
    expect(() => other.prepare("UPDATE inventory_adjustments SET delta = -5 WHERE id = ?").run(id)).toThrow(
      /append-only/,
    );
    expect(() => other.prepare("DELETE FROM inventory_adjustments WHERE id = ?").run(id)).toThrow(/append-only/);
  });

  it("is committed exactly as the policy generates it", () => {
    const committed = readMigrationFiles(migrationsDir("terminal")).filter((m) => m.sql.includes("tillsync_capture_"));
    expect(committed.length).toBeGreaterThan(0);
    expect(committed[committed.length - 1]!.sql).toContain(captureTriggerSql());
  });
});

/**
 * Each fold runs twice: with the earlier change still in the captured tail (the till writes
 * faster than the agent indexes), and with the agent having moved it into the entity index
 * before the till's next write (capture/captured-tail.ts). The triggers read both.
 */
describe.each([
  ["the earlier change still in the captured tail", false],
  ["the agent indexing each change before the next write", true],
])("coalescing pending outbox entries, %s", (_, indexEach) => {
  let dir: string;
  let db: SqliteDb;
  let till: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-coalesce-"));
    db = openTerminalDb(path.join(dir, "t.db"));
    till = new Database(path.join(dir, "t.db"));
    if (indexEach) {
      const prepare = till.prepare.bind(till);
      till.prepare = ((sql: string) => {
        const s = prepare(sql);
        const run = s.run.bind(s);
        return Object.assign(s, {
          run: (...args: unknown[]) => {
            const r = run(...args);
            withoutCapture(db, () => undefined); // the agent's next transaction indexes the tail
            return r;
          },
        });
      }) as typeof till.prepare;
    }
  });

  afterEach(() => {
    till.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => {
    if (indexEach) expect(capturedTailLength(db)).toBe(0); // the folds below went through the index
    return db
      .prepare("SELECT id, change_id, operation, data, base_data, sync_priority FROM outbox ORDER BY id")
      .all() as Array<{
      id: number;
      change_id: string;
      operation: string;
      data: string | null;
      base_data: string | null;
      sync_priority: number;
    }>;
  };

  it("folds create + update into one create with the latest data", () => {
    const id = randomUUID();
    till
      .prepare("INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 100)")
      .run(id, randomUUID());
    const first = rows()[0]!;
    till.prepare("UPDATE sale_orders SET status = 'COMPLETED', total_cents = 250 WHERE id = ?").run(id);
    const after = rows();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ change_id: first.change_id, operation: "CREATE", sync_priority: 10 });
    expect(JSON.parse(after[0]!.data!)).toMatchObject({ status: "COMPLETED", total_cents: 250 });
  });

  it("folds update + update into one update that keeps the first base (merge deltas stay right)", () => {
    const id = randomUUID();
    withoutCapture(db, () =>
      db.prepare("INSERT INTO customers (id, name, loyalty_points, version) VALUES (?, 'Ann', 10, 3)").run(id),
    );
    till.prepare("UPDATE customers SET loyalty_points = 15 WHERE id = ?").run(id);
    till.prepare("UPDATE customers SET loyalty_points = 22 WHERE id = ?").run(id);
    const r = rows();
    expect(r).toHaveLength(1);
    expect(r[0]!.operation).toBe("UPDATE");
    expect(JSON.parse(r[0]!.base_data!).loyalty_points).toBe(10);
    expect(JSON.parse(r[0]!.data!).loyalty_points).toBe(22);
  });

  it("folds a merge field as the sum of the till's own edits when central's newer value arrived in between (G4)", () => {
    const id = randomUUID();
    withoutCapture(db, () =>
      db
        .prepare(
          "INSERT INTO customers (id, name, loyalty_points, total_spent_cents, version) VALUES (?, 'Ann', 10, 0, 3)",
        )
        .run(id),
    );
    till
      .prepare("UPDATE customers SET loyalty_points = loyalty_points + 5, total_spent_cents = 700 WHERE id = ?")
      .run(id);
    // A pull while the change waits: central has 100 (others added 90), shown plus the till's own +5.
    withoutCapture(db, () =>
      db
        .prepare("UPDATE customers SET loyalty_points = 105, total_spent_cents = 900, version = 7 WHERE id = ?")
        .run(id),
    );
    till.prepare("UPDATE customers SET loyalty_points = loyalty_points + 2, name = 'Annie' WHERE id = ?").run(id);
    const r = rows();
    expect(r).toHaveLength(1);
    const [data, base] = [JSON.parse(r[0]!.data!), JSON.parse(r[0]!.base_data!)];
    expect(data).toMatchObject({ loyalty_points: 107, total_spent_cents: 900, name: "Annie" });
    // The till added 5 + 2 points and 700 cents; the 90 points and 200 cents came from central.
    expect(data.loyalty_points - base.loyalty_points).toBe(7);
    expect(data.total_spent_cents - base.total_spent_cents).toBe(700);
    expect(base.name).toBe("Ann");
  });

  it("drops create + delete before push entirely", () => {
    const id = randomUUID();
    till.prepare("INSERT INTO customers (id, name) VALUES (?, 'Temp')").run(id);
    till.prepare("UPDATE customers SET name = 'Temp 2' WHERE id = ?").run(id);
    till.prepare("DELETE FROM customers WHERE id = ?").run(id);
    expect(rows()).toEqual([]);
  });

  it("turns update + delete into one delete based on what central knows", () => {
    const id = randomUUID();
    withoutCapture(db, () =>
      db.prepare("INSERT INTO customers (id, name, loyalty_points, version) VALUES (?, 'Bo', 5, 2)").run(id),
    );
    till.prepare("UPDATE customers SET loyalty_points = 9 WHERE id = ?").run(id);
    till.prepare("DELETE FROM customers WHERE id = ?").run(id);
    const r = rows();
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ operation: "DELETE", data: null });
    expect(JSON.parse(r[0]!.base_data!).loyalty_points).toBe(5);
  });

  it("never folds into an entry already offered to central (G1: its change id may be applied)", () => {
    const id = randomUUID();
    till.prepare("INSERT INTO customers (id, name) VALUES (?, 'Cy')").run(id);
    // Sent once, the answer lost, back to PENDING: central may hold this change id already.
    db.prepare("UPDATE outbox SET last_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')").run();
    till.prepare("UPDATE customers SET name = 'Cy 2' WHERE id = ?").run(id);
    till.prepare("DELETE FROM customers WHERE id = ?").run(id);
    expect(rows().map((r) => r.operation)).toEqual(["CREATE", "DELETE"]);
    expect(JSON.parse(rows()[0]!.data!).name).toBe("Cy");
  });

  it("makes an order's unsent lines CRITICAL when the order completes", () => {
    const order = randomUUID();
    till.prepare("INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'PENDING')").run(order, randomUUID());
    till
      .prepare(
        "INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, 1, 1, 1)",
      )
      .run(randomUUID(), order, randomUUID());
    expect(rows().map((r) => r.sync_priority)).toEqual([9, 9]);
    till.prepare("UPDATE sale_orders SET status = 'COMPLETED' WHERE id = ?").run(order);
    expect(rows().map((r) => r.sync_priority)).toEqual([10, 10]);
  });
});
