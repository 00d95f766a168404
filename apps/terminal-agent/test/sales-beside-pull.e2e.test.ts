import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { FeedCursor, PullResponse, SyncTable } from "@tillsync/shared";
import { useTestCentral } from "@tillsync/central/testing";
import { waitFor } from "@tillsync/testkit";
import {
  createAgent,
  loadAgentConfig,
  transportFromConfig,
  type Agent,
  type CentralTransport,
  type CycleReport,
} from "../src";
import type { StateKind } from "../src/sync/sync-state-machine";

const { central, pg } = useTestCentral("sales_lane");

/**
 * Central over HTTP, with one pull held after central answered it: the page is read at
 * central when asked for, and reaches the engine only when the test lets it, so whatever the
 * engine does meanwhile happens between that read and the page's write.
 */
class HeldPull implements CentralTransport {
  readonly pages: Array<{ since: FeedCursor; page: PullResponse }> = [];
  /** Set to n: the n-th pull from now is held once central has answered it. */
  private holdAfter: number | undefined;
  heldRead = false;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;

  constructor(private readonly inner: CentralTransport) {}

  holdPull(n: number): void {
    this.holdAfter = n;
    this.heldRead = false;
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open();
  }

  push: CentralTransport["push"] = (c) => this.inner.push(c);
  acknowledge: CentralTransport["acknowledge"] = (c) => this.inner.acknowledge(c);
  heartbeat: CentralTransport["heartbeat"] = (b) => this.inner.heartbeat(b);

  async pull(since: FeedCursor, limit: number, entityType?: SyncTable, epoch?: string): Promise<PullResponse> {
    const held = this.holdAfter !== undefined && --this.holdAfter === 0;
    const page = await this.inner.pull(since, limit, entityType, epoch);
    this.pages.push({ since, page });
    if (held) {
      this.holdAfter = undefined;
      this.heldRead = true;
      await this.gate;
    }
    return page;
  }
}

describe("a sale committed while the cycle pulls", () => {
  let dir: string;
  let agent: Agent;
  let transport: HeldPull;
  let storeId: string;
  let till: Database.Database;
  const states: StateKind[] = [];
  const productId = randomUUID();

  beforeAll(async () => {
    const creds = await central.provisionTerminal();
    storeId = creds.storeId;
    await central.admin("POST", "/api/products", { id: productId, sku: "LANE-1", name: "Bread", priceCents: 300 });
    await central.admin("POST", "/api/stock", { storeId, productId, quantity: 100 });
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-sales-beside-pull-"));
    const file = path.join(dir, "t.db");
    const config = loadAgentConfig({
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${file}`,
      SYNC_INTERVAL: "3600", // no interval cycle during the test: the test runs them
      SYNC_PULL_PAGE_SIZE: "2", // a pull of several pages
    });
    transport = new HeldPull(transportFromConfig(config));
    agent = createAgent(config, transport);
    agent.engine.on("state", (s) => states.push(s.kind));
    expect((await agent.engine.runCycle()).error).toBeUndefined();
    agent.engine.start(); // the data_version poll: how the engine hears the till's sale
    till = new Database(file);
    till.pragma("busy_timeout = 5000");
  });

  afterAll(async () => {
    till?.close();
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const shown = () =>
    (till.prepare(`SELECT quantity FROM inventory_items WHERE product_id = ?`).get(productId) as { quantity: number })
      .quantity;
  const atCentral = async () =>
    (await pg.query(`SELECT quantity FROM inventory_items WHERE product_id = $1`, [productId])).rows[0]
      .quantity as number;
  const orderAtCentral = async (id: string) =>
    (await pg.query(`SELECT 1 FROM sale_orders WHERE id = $1`, [id])).rowCount === 1;

  /** A sale as the till writes it: order, line, payment and its stock movement, one transaction. */
  function sell(qty: number, adjustmentPriority?: number): string {
    const order = randomUUID();
    till.transaction(() => {
      till
        .prepare(
          `INSERT INTO sale_orders (id, store_id, status, total_cents, completed_at)
           VALUES (?, ?, 'COMPLETED', ?, '2026-12-02T10:00:00.000Z')`,
        )
        .run(order, storeId, qty * 300);
      till
        .prepare(
          `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, ?, 300, ?)`,
        )
        .run(randomUUID(), order, productId, qty, qty * 300);
      till
        .prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CARD', ?)`)
        .run(randomUUID(), order, qty * 300);
      const adjustment = randomUUID();
      till
        .prepare(
          `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, ?, 'SALE')`,
        )
        .run(adjustment, storeId, productId, -qty);
      // A policy that sends stock movements with the sale: the lane then carries a change the feed reflects.
      if (adjustmentPriority !== undefined)
        till.prepare(`UPDATE outbox SET sync_priority = ? WHERE entity_id = ?`).run(adjustmentPriority, adjustment);
    })();
    return order;
  }

  /**
   * Three feed entries after the till's cursor: two new products (page 1 of 2 rows), then the
   * stock received for the product (page 2, the last). The cycle's second pull is held after
   * central read it: the page says 100 + received, without the sale's movement.
   */
  async function pullWithHeldLastPage(received: number): Promise<{ cycle: Promise<CycleReport>; since: FeedCursor }> {
    for (let i = 0; i < 2; i++)
      await central.admin("POST", "/api/products", {
        id: randomUUID(),
        sku: `LANE-P${randomUUID()}`,
        name: "x",
        priceCents: 1,
      });
    await central.admin("POST", "/api/stock", { type: "RECEIVE", storeId, productId, quantity: received });
    transport.holdPull(2);
    const before = transport.pages.length;
    const cycle = agent.engine.runCycle();
    await waitFor(() => transport.heldRead, { what: "the cycle's second page read at central and held" });
    const held = transport.pages[transport.pages.length - 1]!;
    expect(transport.pages.length - before).toBe(2);
    expect(held.page.hasMore).toBe(false);
    expect(held.page.changes).toEqual([
      expect.objectContaining({
        entityType: "inventory_items",
        data: expect.objectContaining({ quantity: shown() + received }),
      }),
    ]);
    return { cycle, since: held.since };
  }

  it("reaches central while the pull is held mid-way, and the stock shown stays central's + the till's own", async () => {
    const start = shown();
    expect(start).toBe(await atCentral());
    const { cycle } = await pullWithHeldLastPage(10);
    states.length = 0;
    const order = sell(1);
    await waitFor(() => orderAtCentral(order), { what: "the sale at central, the pull still held" });
    await waitFor(() => agent.engine.current.kind === "pulling", { what: "the sales push over, the pull still held" });
    expect(states).toEqual(["pulling-with-sales", "pulling"]);
    // The sale's movement (HIGH) went nowhere yet: it is the till's own, on top of central's.
    expect(await atCentral()).toBe(start + 10);
    transport.release();
    const r = await cycle;
    expect(r.error).toBeUndefined();
    expect(r.pushed).toBe(3); // order, line, payment
    expect(shown()).toBe(start + 10 - 1);
    expect((await agent.engine.runCycle()).error).toBeUndefined();
    expect(await atCentral()).toBe(start + 9);
    expect(shown()).toBe(start + 9);
  });

  it("reads a page again when the push beside it carried a change the page reflects (a stock movement)", async () => {
    const start = shown();
    expect(start).toBe(await atCentral());
    const { cycle, since } = await pullWithHeldLastPage(5);
    const pagesBefore = transport.pages.length;
    const order = sell(2, 10);
    await waitFor(() => orderAtCentral(order), { what: "the sale and its movement at central, the pull still held" });
    expect(await atCentral()).toBe(start + 5 - 2);
    transport.release();
    expect((await cycle).error).toBeUndefined();
    // The held page (read before the movement reached central) said start + 5; written after the
    // movement was confirmed, it would show start + 5 without the sale. It was read again instead.
    expect(shown()).toBe(start + 3);
    expect(transport.pages.slice(pagesBefore).map((p) => p.since)).toContain(since);
  });
});
