import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { waitFor } from "@tillsync/testkit";
import { PROTOCOL_VERSION } from "@tillsync/shared";
import { createAgent, loadAgentConfig, type Agent } from "../src";
import { HeartbeatSender } from "../src/daemon/heartbeat";
import type { CycleReport } from "../src/sync/engine-options";
import { formatAgentStatus, readAgentStatus } from "../src/status/agent-status";
import { HttpCentralTransport } from "../src/transport/http-transport";
import { startSocketLink } from "../src/transport/socket-link";
import { createPreviousProtocolAgent, createTestAgent, type PreviousProtocolAgent, type TestAgent } from "../testing";

/**
 * Rolling upgrades with tills offline (issue 12 §7), with real PostgreSQL, Redis and SQLite.
 * Central runs protocol 2 (products.barcode); a till of protocol 1, its database one migration
 * behind, keeps selling and syncing both ways, and catches up on the barcodes once upgraded.
 * An agent central cannot serve (newer than central, or older than it serves) is held: no
 * breaker, nothing FAILED, every change kept, `status` and its heartbeat say what to upgrade.
 */
const { central, pg } = useTestCentral("rolling_upgrade");

type Till = Pick<Database.Database, "prepare">;
/** A cycle that went cleanly (its report has no error). */
const clean = async (cycle: Promise<CycleReport>): Promise<CycleReport> => {
  const r = await cycle;
  expect(r.error).toBeUndefined();
  return r;
};
const sell = (till: Till, storeId: string, productId: string): string => {
  const order = randomUUID();
  till
    .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 400)`)
    .run(order, storeId);
  till
    .prepare(
      `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents)
       VALUES (?, ?, ?, 1, 400, 400)`,
    )
    .run(randomUUID(), order, productId);
  till
    .prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CASH', 400)`)
    .run(randomUUID(), order);
  return order;
};
const ordersAtCentral = async (ids: string[]) =>
  Number((await pg.query(`SELECT count(*) FROM sale_orders WHERE id = ANY($1::uuid[])`, [ids])).rows[0].count);
const centralProduct = async (id: string) =>
  (await pg.query(`SELECT name, barcode FROM products WHERE id = $1`, [id])).rows[0] as
    { name: string; barcode: string | null } | undefined;
const columnsOf = (db: Till, table: string) =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
const outboxRows = (db: Till) =>
  db.prepare(`SELECT status, attempts FROM outbox ORDER BY id`).all() as Array<{ status: string; attempts: number }>;

describe("a till one protocol behind, after central added products.barcode", () => {
  let old: PreviousProtocolAgent;
  let upgraded: TestAgent | undefined;
  let current: TestAgent;
  let storeId: string;
  const coffee = randomUUID();

  beforeAll(async () => {
    const a = await central.provisionTerminal();
    storeId = a.storeId;
    old = createPreviousProtocolAgent(central.url, a);
    const b = await central.provisionTerminal({ storeId, name: "Upgraded till" });
    current = createTestAgent(central.url, b);
    await central.admin("POST", "/api/products", { id: coffee, sku: `C-${coffee}`, name: "Coffee", priceCents: 400 });
    await pg.query(`UPDATE products SET barcode = '4006381333931' WHERE id = $1`, [coffee]);
  });
  afterAll(async () => {
    await upgraded?.destroy();
    await old.destroy();
    await current.destroy();
  });

  it("is a real fixture of protocol 1: its database has no barcode column", () => {
    expect(old.protocol).toBe(PROTOCOL_VERSION - 1);
    expect(columnsOf(old.db, "products")).not.toContain("barcode");
    expect(columnsOf(current.db, "products")).toContain("barcode");
  });

  it("pulls central's products without the column it does not know, while a current till gets it", async () => {
    await clean(old.engine.runCycle());
    expect(old.db.prepare(`SELECT name, price_cents FROM products WHERE id = ?`).get(coffee)).toEqual({
      name: "Coffee",
      price_cents: 400,
    });
    await clean(current.engine.runCycle());
    expect(current.db.prepare(`SELECT barcode FROM products WHERE id = ?`).get(coffee)).toEqual({
      barcode: "4006381333931",
    });
  });

  it("pushes its sales, new products and edits; central keeps the barcode it did not send", async () => {
    const till = old.till();
    const orders = [sell(till, storeId, coffee), sell(till, storeId, coffee)];
    const tea = randomUUID();
    till.prepare(`INSERT INTO products (id, sku, name, price_cents) VALUES (?, ?, 'Tea', 250)`).run(tea, `T-${tea}`);
    till.prepare(`UPDATE products SET name = 'Coffee (large)' WHERE id = ?`).run(coffee);
    const r = await clean(old.engine.runCycle());
    expect(r).toMatchObject({ failed: 0, conflicts: 0 });
    expect(old.outbox.counts().sale_orders).toMatchObject({ pending: 0, failed: 0, synced: 2 });
    expect(await ordersAtCentral(orders)).toBe(2);
    expect(await centralProduct(tea)).toEqual({ name: "Tea", barcode: null });
    expect(await centralProduct(coffee)).toEqual({ name: "Coffee (large)", barcode: "4006381333931" });
  });

  it("receives a product a current till created with a barcode, without it", async () => {
    const cake = randomUUID();
    current
      .till()
      .prepare(`INSERT INTO products (id, sku, name, price_cents, barcode) VALUES (?, ?, 'Cake', 300, '96385074')`)
      .run(cake, `K-${cake}`);
    expect(await clean(current.engine.runCycle())).toMatchObject({ failed: 0 });
    expect(await centralProduct(cake)).toEqual({ name: "Cake", barcode: "96385074" });
    await clean(old.engine.runCycle());
    expect(old.db.prepare(`SELECT name FROM products WHERE id = ?`).get(cake)).toEqual({ name: "Cake" });
  });

  it("once upgraded, migrates its file, re-reads the catalogue and has every barcode", async () => {
    const unsynced = sell(old.till(), storeId, coffee); // sold just before the upgrade, not pushed
    await old.close();
    upgraded = createTestAgent(
      central.url,
      { terminalId: old.config.TERMINAL_ID, key: old.config.CENTRAL_API_KEY },
      {
        databasePath: old.file,
      },
    );
    expect(columnsOf(upgraded.db, "products")).toContain("barcode");
    expect(await clean(upgraded.engine.runCycle())).toMatchObject({ failed: 0 });
    expect(await ordersAtCentral([unsynced])).toBe(1);
    const barcodes = upgraded.db.prepare(`SELECT id, barcode FROM products WHERE barcode IS NOT NULL`).all();
    expect(barcodes).toEqual(expect.arrayContaining([{ id: coffee, barcode: "4006381333931" }]));
    expect(barcodes).toHaveLength(2); // coffee and cake: central's barcodes, none left behind
    // Its new barcode edits reach central like any current till's.
    upgraded.till().prepare(`UPDATE products SET barcode = '0012345678905' WHERE id = ?`).run(coffee);
    expect(await clean(upgraded.engine.runCycle())).toMatchObject({ failed: 0 });
    expect(await centralProduct(coffee)).toEqual({ name: "Coffee (large)", barcode: "0012345678905" });
  });
});

/** Runs cycles as the daemon's interval would, and checks each is a hold, never a counted failure. */
async function expectHeldCycles(agent: Pick<Agent, "engine">, n: number, message: RegExp): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await agent.engine.runCycle();
    expect(r).toMatchObject({ held: true, pushed: 0, failed: 0 });
    expect(r.error).toMatch(message);
    expect(agent.engine.current.kind).toBe("backing-off");
    expect(agent.engine.current.failures).toBe(0);
  }
}

describe("426: an agent central cannot serve holds, keeping every change, until upgraded", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-426-"));
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it("newer than central: says to upgrade central, and drains by itself once central is upgraded", async () => {
    const creds = await central.provisionTerminal();
    // A central of this release on a port of its own, so it can be "upgraded" in place below.
    let node = await central.startInstance();
    closers.push(() => node.stop());
    const url = `http://127.0.0.1:${node.port}`;
    const config = loadAgentConfig({
      CENTRAL_API_URL: url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${path.join(dir, "newer.db")}`,
    });
    const newer = PROTOCOL_VERSION + 1;
    const transport = new HttpCentralTransport({
      baseUrl: url,
      key: creds.key,
      terminalId: creds.terminalId,
      timeoutMs: 10_000,
      protocol: { version: newer, schema: "29990101000000_from_the_future" },
    });
    const agent = createAgent(config, transport);
    closers.push(() => agent.close());
    const till = agent.db; // the same file: the till software's writes are captured alike
    const product = randomUUID();
    await central.admin("POST", "/api/products", { id: product, sku: `N-${product}`, name: "Bun", priceCents: 400 });
    const orders = [sell(till, creds.storeId, product), sell(till, creds.storeId, product)];
    const before = outboxRows(agent.db);

    await expectHeldCycles(agent, 6, new RegExp(`^upgrade required: .*protocol ${newer}.*upgrade central`));
    expect(outboxRows(agent.db)).toEqual(before);
    expect(before.every((r) => r.status === "PENDING" && r.attempts === 0)).toBe(true);
    expect(await ordersAtCentral(orders)).toBe(0);
    const status = readAgentStatus(agent.db, config.SYNC_INTERVAL * 1000);
    // Red, not a yellow pause: only an upgrade lets it sync again.
    expect(status).toMatchObject({ health: "red", consecutiveFailures: 0, central: { kind: "UPGRADE_REQUIRED" } });
    expect(status.circuit).toBe("closed");
    expect(formatAgentStatus(status)).toMatch(
      /central: +upgrade required: .*upgrade central.*changes stay in the outbox/,
    );

    // Its heartbeat still lands, so central's console shows why the till waits. It went to
    // `node` and is read through the test's own instance: heartbeats are written behind their
    // answer, and only the instance that answered one makes its reads wait for it.
    await new HeartbeatSender(transport, agent, 60_000).beatNow();
    const seen = await waitFor(
      async () => {
        const r = await central.admin("GET", `/api/terminals/${creds.terminalId}`);
        return /upgrade required: .*upgrade central/.test(JSON.stringify(r.body)) ? r : undefined;
      },
      { what: "the held till's heartbeat shown at central" },
    );
    expect(seen.body).toMatchObject({ terminal: { health: "red" } });

    // Central is upgraded to a release that serves the agent's protocol, on the same address.
    const port = node.port;
    await node.stop();
    node = await central.startInstance({ port, protocols: { oldest: PROTOCOL_VERSION - 1, newest: newer } });
    const drained = await clean(agent.engine.runCycle());
    expect(drained).toMatchObject({ failed: 0, pushed: before.length });
    expect(await ordersAtCentral(orders)).toBe(2);
    expect(readAgentStatus(agent.db, 1000).central).toBeNull();
  });

  it("a newer agent's socket handshake is refused saying to upgrade central, and holds the engine like the 426", async () => {
    const creds = await central.provisionTerminal();
    const agent = createTestAgent(central.url, creds);
    closers.push(() => agent.destroy());
    const till = agent.till();
    const product = randomUUID();
    await central.admin("POST", "/api/products", { id: product, sku: `S-${product}`, name: "Roll", priceCents: 400 });
    sell(till, creds.storeId, product);
    const before = outboxRows(agent.db);
    const link = startSocketLink(agent, agent.config, {
      protocol: { version: PROTOCOL_VERSION + 1, schema: "29990101000000_from_the_future" },
    });
    closers.push(() => link.stop());
    await waitFor(() => agent.engine.heldBy()?.kind === "UPGRADE_REQUIRED", { what: "the hold from the handshake" });
    expect(agent.engine.heldBy()?.reason).toMatch(/^upgrade required: .*upgrade central/);
    expect(link.connected).toBe(false);
    expect(agent.engine.current).toMatchObject({ kind: "backing-off", failures: 0 });
    expect(outboxRows(agent.db)).toEqual(before);
  });

  it("older than central serves: says to upgrade the agent, and drains once the till is upgraded", async () => {
    const creds = await central.provisionTerminal();
    const later = await central.startInstance({ protocols: { oldest: PROTOCOL_VERSION, newest: PROTOCOL_VERSION } });
    closers.push(() => later.stop());
    const url = `http://127.0.0.1:${later.port}`;
    const product = randomUUID();
    await central.admin("POST", "/api/products", { id: product, sku: `O-${product}`, name: "Pie", priceCents: 400 });
    const old = createPreviousProtocolAgent(url, creds);
    closers.push(() => old.destroy());
    const orders = [sell(old.till(), creds.storeId, product)];
    const before = outboxRows(old.db);

    await expectHeldCycles(
      old,
      6,
      new RegExp(`^upgrade required: .*upgrade the agent to protocol ${PROTOCOL_VERSION}`),
    );
    expect(outboxRows(old.db)).toEqual(before);
    expect(await ordersAtCentral(orders)).toBe(0);
    expect(formatAgentStatus(readAgentStatus(old.db, 1000))).toMatch(
      new RegExp(`central: +upgrade required: .*upgrade the agent to protocol ${PROTOCOL_VERSION}`),
    );

    await old.close();
    const upgraded = createTestAgent(url, creds, { databasePath: old.file });
    closers.push(() => upgraded.destroy());
    expect(await clean(upgraded.engine.runCycle())).toMatchObject({ failed: 0, pushed: before.length });
    expect(await ordersAtCentral(orders)).toBe(1);
    expect(readAgentStatus(upgraded.db, 1000).central).toBeNull();
  });
});
