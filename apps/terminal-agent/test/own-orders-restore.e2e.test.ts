import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { TerminalClient } from "@tillsync/testkit";
import { createTestAgent, type TestAgent } from "../testing";
import { envOf, runCli } from "./support/agent-cli";

const { central, pg } = useTestCentral("own_orders");

/**
 * A till replaced or its database lost (issue 12 §5): `startup --force` also restores the
 * terminal's own orders, lines and payments of the last HISTORY_DAYS from central, without
 * capturing them again (G7), so yesterday's sale can be found for a return.
 */
describe("startup --force restores the till's own recent sales", () => {
  let creds: { storeId: string; terminalId: string; key: string };
  let old: TestAgent;
  let neighbour: TestAgent;
  const dirs: string[] = [];
  const productId = randomUUID();

  beforeAll(async () => {
    creds = await central.provisionTerminal();
    await central.admin("POST", "/api/products", { id: productId, sku: "OO", name: "oo", priceCents: 250 });
    old = createTestAgent(central.url, creds);
    neighbour = createTestAgent(central.url, await central.provisionTerminal({ storeId: creds.storeId }));
  });

  afterAll(async () => {
    await old.destroy();
    await neighbour.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function sell(t: TestAgent, createdAt: string): string {
    const order = randomUUID();
    const db = t.till();
    db.transaction(() => {
      db.prepare(
        `INSERT INTO sale_orders (id, store_id, status, total_cents, created_at, completed_at) VALUES (?, ?, 'COMPLETED', 500, ?, ?)`,
      ).run(order, creds.storeId, createdAt, createdAt);
      db.prepare(
        `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, 2, 250, 500)`,
      ).run(randomUUID(), order, productId);
      db.prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CARD', 500)`).run(
        randomUUID(),
        order,
      );
    })();
    return order;
  }

  it("restores its own orders of the last HISTORY_DAYS with lines and payments, captures none, and a return syncs", async () => {
    const yesterday = sell(old, new Date(Date.now() - 86_400_000).toISOString());
    const longAgo = sell(old, new Date(Date.now() - 40 * 86_400_000).toISOString());
    const theirs = sell(neighbour, new Date().toISOString());
    expect((await old.engine.runCycle()).error).toBeUndefined();
    expect((await neighbour.engine.runCycle()).error).toBeUndefined();

    // The till is replaced: a new, empty database with the same terminal identity.
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-replaced-"));
    dirs.push(dir);
    const file = path.join(dir, "terminal.db");
    const env = envOf({ ...old.config, TERMINAL_DATABASE_URL: `file:${file}` });
    const r = await runCli(["startup", "--force"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("own orders of the last 30 day(s): 1 order(s), 1 line(s), 1 payment(s)");

    const db = new Database(file);
    try {
      const orders = db.prepare(`SELECT id, status, total_cents, version FROM sale_orders`).all();
      expect(orders).toEqual([{ id: yesterday, status: "COMPLETED", total_cents: 500, version: 1 }]);
      expect(orders).not.toContainEqual(expect.objectContaining({ id: longAgo }));
      expect(orders).not.toContainEqual(expect.objectContaining({ id: theirs }));
      expect(
        db.prepare(`SELECT quantity, line_total_cents FROM sale_order_lines WHERE order_id = ?`).all(yesterday),
      ).toEqual([{ quantity: 2, line_total_cents: 500 }]);
      expect(db.prepare(`SELECT method, amount_cents FROM payments WHERE order_id = ?`).all(yesterday)).toEqual([
        { method: "CARD", amount_cents: 500 },
      ]);
      // Nothing restored went into the outbox (G7).
      expect(db.prepare(`SELECT count(*) AS n FROM outbox`).get()).toEqual({ n: 0 });
      // The customer brings it back: the till voids the restored order, and central hears it.
      db.prepare(`UPDATE sale_orders SET status = 'VOIDED' WHERE id = ?`).run(yesterday);
    } finally {
      db.close();
    }
    const synced = await runCli(["sync"], env);
    expect(synced.code).toBe(0);
    const atCentral = await pg.query(`SELECT status FROM sale_orders WHERE id = $1`, [yesterday]);
    expect(atCentral.rows).toEqual([{ status: "VOIDED" }]);
  });

  it("serves a terminal only its own orders, and refuses a query without a time", async () => {
    const me = new TerminalClient(central.url, creds.terminalId, creds.key);
    const page = await me.raw(
      "GET",
      `/api/sync/own-orders?since=${encodeURIComponent("2000-01-01T00:00:00Z")}&limit=1`,
    );
    expect(page.status).toBe(200);
    const orders = page.body.orders as Array<{ terminal_id: string }>;
    expect(orders).toHaveLength(1);
    expect(orders[0]!.terminal_id).toBe(creds.terminalId);
    const next = await me.raw(
      "GET",
      `/api/sync/own-orders?since=2000-01-01T00:00:00Z&cursor=${String(page.body.nextCursor)}`,
    );
    expect((next.body.orders as unknown[]).length).toBe(1);
    expect(next.body.nextCursor).toBeNull();
    const bad = await me.raw("GET", "/api/sync/own-orders");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("since");
  });
});
