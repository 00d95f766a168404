/**
 * `npm run demo`: central, three terminal agents with their own SQLite files, a till
 * simulator selling on each, one terminal cut off and reconnected, then a convergence report.
 * Exits 0 when every terminal and central agree. DEMO_SECONDS sets the selling time (12).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Client } from "pg";
import { loadCentralConfig, startCentral } from "@tillsync/central";
import { createAgent, loadAgentConfig, type Agent } from "@tillsync/terminal-agent";
import { ControllableProxy, ensureServices, removeRedisPrefix } from "@tillsync/testkit";

const SECONDS = Number(process.env.DEMO_SECONDS ?? 12);
const log = (s: string) => console.log(`[demo] ${s}`);

/** What a run created, undone in reverse order however the run ends. */
type Cleanup = Array<() => unknown>;

async function main(): Promise<number> {
  const cleanup: Cleanup = [];
  try {
    return await demo(cleanup);
  } finally {
    for (const undo of cleanup.reverse()) await Promise.resolve(undo()).catch(() => undefined);
  }
}

type Api = <T>(method: string, p: string, body?: unknown) => Promise<T>;
type Till = { name: string; id: string; agent: Agent; till: Database.Database; proxy: ControllableProxy };
type Central = Awaited<ReturnType<typeof startCentral>>;

/** Its own database, Redis prefix and SQLite folder per run, so two demos side by side do not collide. */
async function demo(cleanup: Cleanup): Promise<number> {
  const runId = randomBytes(4).toString("hex");
  const { central, api } = await startDemoCentral(runId, cleanup);
  const { storeId, products } = await seedCatalogue(api);
  const tills = await startTills(runId, central, api, storeId, cleanup);
  const sales = await sellWithOneTillCut(tills, storeId, products);
  log(`selling stopped after ${sales} sales; final sync`);
  await syncUntilDrained(tills);
  const ok = await report(central.db.pool, tills, products, storeId);
  return ok ? 0 : 1;
}

async function startDemoCentral(runId: string, cleanup: Cleanup): Promise<{ central: Central; api: Api }> {
  const services = await ensureServices({
    postgresUrl: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    log,
  });
  cleanup.push(() => services.stop());
  const dbName = `tillsync_demo_${runId}`;
  const redisPrefix = `tillsync-demo:${runId}`;
  await withAdmin(services.postgresUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
  cleanup.push(() => withAdmin(services.postgresUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)));
  cleanup.push(() => removeRedisPrefix(redisPrefix, services.redisUrl));
  const dbUrl = new URL(services.postgresUrl);
  dbUrl.pathname = `/${dbName}`;
  const adminToken = randomBytes(16).toString("hex");
  // Central's configuration is parsed the way `npm run central` parses the environment.
  const central = await startCentral(
    loadCentralConfig({
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: services.redisUrl,
      REDIS_PREFIX: redisPrefix,
      PORT: process.env.PORT ?? "0",
      ADMIN_TOKEN: adminToken,
      LOG_LEVEL: "warn",
    }),
  );
  cleanup.push(() => central.stop());
  const base = `http://127.0.0.1:${central.port}`;
  log(`central listening on ${base} (migrated ${dbName})`);
  const api: Api = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(base + p, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return { central, api };
}

async function seedCatalogue(api: Api): Promise<{ storeId: string; products: string[] }> {
  const { store } = await api<{ store: { id: string } }>("POST", "/api/stores", { name: "Demo High Street" });
  const products = await Promise.all(
    ["Coffee", "Croissant", "Orange juice", "Sandwich", "Water"].map(async (name, i) => {
      const { product } = await api<{ product: { id: string } }>("POST", "/api/products", {
        sku: `DEMO-${i}`,
        name,
        priceCents: 150 + i * 75,
      });
      await api("POST", "/api/stock", { storeId: store.id, productId: product.id, quantity: 1000 });
      return product.id;
    }),
  );
  log(`catalogue: ${products.length} products, 1000 in stock each`);
  return { storeId: store.id, products };
}

async function startTills(runId: string, central: Central, api: Api, storeId: string, cleanup: Cleanup) {
  const dir = path.resolve(".demo", runId);
  mkdirSync(dir, { recursive: true });
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const tills: Till[] = [];
  for (let n = 1; n <= 3; n++) {
    const { terminal, key } = await api<{ terminal: { id: string }; key: string }>("POST", "/api/terminals", {
      name: `Till ${n}`,
      storeId,
    });
    const proxy = new ControllableProxy(central.port);
    const port = await proxy.listen();
    cleanup.push(() => proxy.close());
    const file = path.join(dir, `terminal-${n}.db`);
    const agent = createAgent(demoAgentConfig(port, key, terminal.id, file));
    cleanup.push(() => agent.close());
    const startup = await agent.engine.runCycle();
    agent.engine.start();
    const till = new Database(file);
    cleanup.push(() => till.close());
    till.pragma("busy_timeout = 5000");
    tills.push({ name: `Till ${n}`, id: terminal.id, agent, till, proxy });
    log(
      `Till ${n} (${terminal.id.slice(0, 8)}) started: pulled ${startup.pulled} rows into ${path.relative(process.cwd(), file)}`,
    );
  }
  return tills;
}

function demoAgentConfig(port: number, key: string, terminalId: string, file: string) {
  return loadAgentConfig({
    CENTRAL_API_URL: `http://127.0.0.1:${port}`,
    CENTRAL_API_KEY: key,
    TERMINAL_ID: terminalId,
    TERMINAL_DATABASE_URL: `file:${file}`,
    SYNC_INTERVAL: "2",
    SYNC_TIMEOUT: "5",
    // A demo lasts seconds: the cut-off till must not sit out a 5-minute breaker or a
    // minute of backoff once its network is back, so both are scaled down here.
    SYNC_BREAKER_COOLDOWN_MS: "2000",
    SYNC_BACKOFF_BASE_MS: "200",
    SYNC_BACKOFF_CAP_MS: "1000",
  });
}

/** One ticket as a till's software writes it: order, lines, stock movements, payment, completion. */
function sell(t: Till, storeId: string, products: string[]): void {
  const orderId = randomUUID();
  const lines = 1 + Math.floor(Math.random() * 3);
  t.till.transaction(() => {
    let total = 0;
    const picked = [] as Array<{ productId: string; qty: number; price: number }>;
    for (let i = 0; i < lines; i++) {
      const productId = products[Math.floor(Math.random() * products.length)]!;
      const price = (
        t.till.prepare("SELECT price_cents FROM products WHERE id = ?").get(productId) as { price_cents: number }
      ).price_cents;
      const qty = 1 + Math.floor(Math.random() * 2);
      picked.push({ productId, qty, price });
      total += qty * price;
    }
    t.till
      .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', ?)`)
      .run(orderId, storeId, total);
    for (const l of picked) {
      t.till
        .prepare(
          `INSERT INTO sale_order_lines (order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, ?, ?)`,
        )
        .run(orderId, l.productId, l.qty, l.price, l.qty * l.price);
      t.till
        .prepare(`INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, ?, 'SALE')`)
        .run(storeId, l.productId, -l.qty);
    }
    t.till
      .prepare(`INSERT INTO payments (order_id, method, amount_cents) VALUES (?, ?, ?)`)
      .run(orderId, Math.random() < 0.5 ? "CARD" : "CASH", total);
    t.till
      .prepare(
        `UPDATE sale_orders SET status = 'COMPLETED', completed_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`,
      )
      .run(orderId);
  })();
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every till sells for DEMO_SECONDS; the third is cut off for the middle third of it. */
async function sellWithOneTillCut(tills: Till[], storeId: string, products: string[]): Promise<number> {
  let selling = true;
  let sales = 0;
  const loops = tills.map(async (t) => {
    while (selling) {
      sell(t, storeId, products);
      sales++;
      await pause(100 + Math.random() * 200);
    }
  });
  const cut = tills[2]!;
  await pause((SECONDS * 1000) / 3);
  cut.proxy.cut();
  log(`${cut.name} cut off from central; it keeps selling offline`);
  await pause((SECONDS * 1000) / 3);
  const waiting = (cut.till.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'PENDING'`).get() as { n: number })
    .n;
  cut.proxy.reconnect();
  log(`${cut.name} reconnected with ${waiting} changes waiting in its outbox`);
  await pause((SECONDS * 1000) / 3);
  selling = false;
  await Promise.all(loops);
  return sales;
}

/**
 * Quiescence: every outbox drained and every terminal has pulled central's last stock. A
 * cycle is skipped while a till backs off, so wait out the (short) backoff rather than
 * counting rounds; 30 s is far beyond anything the demo's settings produce.
 */
async function syncUntilDrained(tills: Till[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  const pendingAt = (t: Till) =>
    (t.till.prepare(`SELECT count(*) AS n FROM outbox WHERE status IN ('PENDING','SYNCING')`).get() as { n: number }).n;
  while (Date.now() < deadline) {
    for (const t of tills) await t.agent.engine.runCycle();
    if (tills.every((t) => pendingAt(t) === 0)) break;
    await pause(200);
  }
  for (const t of tills) await t.agent.engine.runCycle();
}

async function withAdmin(url: string, fn: (c: Client) => Promise<unknown>): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

async function report(
  pool: import("pg").Pool,
  tills: Array<{ name: string; id: string; till: Database.Database }>,
  products: string[],
  storeId: string,
): Promise<boolean> {
  let ok = true;
  console.log("\n== Convergence report ==");
  console.log("terminal   orders(local/central)  payments cents(local/central)  outbox pending/failed");
  for (const t of tills) {
    const local = t.till
      .prepare(`SELECT count(*) AS n, (SELECT coalesce(sum(amount_cents),0) FROM payments) AS paid FROM sale_orders`)
      .get() as { n: number; paid: number };
    const c = (
      await pool.query(
        `SELECT count(*)::int AS n, coalesce((SELECT sum(p.amount_cents) FROM payments p JOIN sale_orders o ON o.id = p.order_id WHERE o.terminal_id = $1), 0)::int AS paid FROM sale_orders WHERE terminal_id = $1`,
        [t.id],
      )
    ).rows[0] as { n: number; paid: number };
    const ob = t.till
      .prepare(`SELECT sum(status IN ('PENDING','SYNCING')) AS p, sum(status = 'FAILED') AS f FROM outbox`)
      .get() as { p: number | null; f: number | null };
    const same = local.n === c.n && local.paid === c.paid && !ob.p && !ob.f;
    ok &&= same;
    console.log(
      `${t.name.padEnd(10)} ${`${local.n}/${c.n}`.padEnd(22)} ${`${local.paid}/${c.paid}`.padEnd(30)} ${ob.p ?? 0}/${ob.f ?? 0}  ${same ? "OK" : "DIFFERS"}`,
    );
  }
  console.log(
    "\nproduct    stock central  " + tills.map((t) => t.name.padEnd(8)).join(" ") + "  sold (1000 - central)",
  );
  for (const p of products) {
    const c = (
      await pool.query(`SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2`, [storeId, p])
    ).rows[0] as { quantity: number };
    const sold = (
      await pool.query(
        `SELECT coalesce(-sum(delta),0)::int AS s FROM inventory_adjustments WHERE product_id = $1 AND reason = 'SALE'`,
        [p],
      )
    ).rows[0] as { s: number };
    const local = tills.map(
      (t) =>
        (t.till.prepare(`SELECT quantity FROM inventory_items WHERE product_id = ?`).get(p) as { quantity: number })
          .quantity,
    );
    const same = local.every((q) => q === c.quantity) && c.quantity === 1000 - sold.s;
    ok &&= same;
    console.log(
      `${p.slice(0, 8)}   ${String(c.quantity).padEnd(14)} ${local.map((q) => String(q).padEnd(8)).join(" ")}  ${sold.s}  ${same ? "OK" : "DIFFERS"}`,
    );
  }
  console.log(
    ok ? "\nCONVERGED: every terminal agrees with central." : "\nNOT CONVERGED: see the rows marked DIFFERS.",
  );
  return ok;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`[demo] failed: ${err.message}`);
    process.exit(1);
  },
);
