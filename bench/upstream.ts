/**
 * Upstream throughput: 100k mixed outbox changes (orders, lines, payments, adjustments) from
 * one agent until all SYNCED, against raw PostgreSQL `INSERT … SELECT FROM unnest(…) ON
 * CONFLICT` of the same rows in batches of the same size, measured in the same run.
 *   npx tsx bench/upstream.ts [changes=100000] [batch=1000]
 * Target (SPEC §7): agent ≥ 50% of the raw rate.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { createAgent } from "@tillsync/terminal-agent";
import { migrateCentral, openCentralDb } from "@tillsync/central";
import { adminCall, benchAgentConfig, createDatabase, fmt, runBench, spawnCentral } from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";

const TOTAL = Number(process.argv[2] ?? 100_000);
const BATCH = Number(process.argv[3] ?? 1000);

async function main(): Promise<void> {
  const db = await createDatabase("up");
  const central = await spawnCentral(db.url);
  const { store } = await adminCall<{ store: { id: string } }>(central.url, central.admin, "POST", "/api/stores", {
    name: "bench",
  });
  const { terminal, key } = await adminCall<{ terminal: { id: string }; key: string }>(
    central.url,
    central.admin,
    "POST",
    "/api/terminals",
    { name: "bench", storeId: store.id },
  );
  const productId = randomUUID();
  await adminCall(central.url, central.admin, "POST", "/api/products", {
    id: productId,
    sku: "BENCH",
    name: "bench",
    priceCents: 100,
  });

  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-bench-"));
  const file = path.join(dir, "t.db");
  const agent = createAgent(
    benchAgentConfig(central.url, key, terminal.id, file, { SYNC_BATCH_SIZE: String(BATCH), SYNC_TIMEOUT: "120" }),
  );
  await agent.engine.runCycle();

  // 4 rows per sale: order, line, payment, adjustment.
  const sales = Math.floor(TOTAL / 4);
  const insert = agent.db.transaction(() => {
    const o = agent.db.prepare(
      `INSERT INTO sale_orders (id, store_id, status, total_cents, completed_at) VALUES (?, ?, 'COMPLETED', 100, strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
    );
    const l = agent.db.prepare(
      `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, 1, 100, 100)`,
    );
    const p = agent.db.prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CASH', 100)`);
    const a = agent.db.prepare(
      `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, -1, 'SALE')`,
    );
    for (let i = 0; i < sales; i++) {
      const order = randomUUID();
      o.run(order, store.id);
      l.run(randomUUID(), order, productId);
      p.run(randomUUID(), order);
      a.run(randomUUID(), store.id, productId);
    }
  });
  insert();
  const changes = (agent.db.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'PENDING'`).get() as { n: number })
    .n;

  const t0 = performance.now();
  const r = await agent.engine.runCycle();
  const agentMs = performance.now() - t0;
  if (r.error) throw new Error(r.error);
  const left = (agent.db.prepare(`SELECT count(*) AS n FROM outbox WHERE status <> 'SYNCED'`).get() as { n: number }).n;
  if (left !== 0) throw new Error(`${left} changes not SYNCED`);

  // Baseline: the same rows, straight into PostgreSQL with unnest … ON CONFLICT, same batch size.
  const rows = agent.db.prepare(`SELECT entity_type, data FROM outbox ORDER BY id`).all() as Array<{
    entity_type: string;
    data: string;
  }>;
  await agent.close();
  central.stop();
  const raw = await createDatabase("raw");
  const rawDb = openCentralDb(raw.url, 2);
  await migrateCentral(rawDb.pool);
  await rawDb.close();
  const pg = new Client({ connectionString: raw.url });
  await pg.connect();
  const t1 = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows
      .slice(i, i + BATCH)
      .map((x) => ({ t: x.entity_type, d: JSON.parse(x.data) as Record<string, string | number> }));
    const of = (t: string) => batch.filter((b) => b.t === t).map((b) => b.d);
    const orders = of("sale_orders");
    const lines = of("sale_order_lines");
    const pays = of("payments");
    const adjs = of("inventory_adjustments");
    await pg.query("BEGIN");
    if (orders.length)
      await pg.query(
        `INSERT INTO sale_orders (id, store_id, status, total_cents) SELECT u.id, u.store_id, u.status::sale_order_status, u.total FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[]) AS u(id, store_id, status, total)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, total_cents = excluded.total_cents`,
        [
          orders.map((o) => o.id),
          orders.map((o) => o.store_id),
          orders.map((o) => o.status),
          orders.map((o) => o.total_cents),
        ],
      );
    if (lines.length)
      await pg.query(
        `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int4[], $5::int4[], $6::int4[])
         ON CONFLICT (id) DO UPDATE SET quantity = excluded.quantity`,
        [
          lines.map((o) => o.id),
          lines.map((o) => o.order_id),
          lines.map((o) => o.product_id),
          lines.map((o) => o.quantity),
          lines.map((o) => o.unit_price_cents),
          lines.map((o) => o.line_total_cents),
        ],
      );
    if (pays.length)
      await pg.query(
        `INSERT INTO payments (id, order_id, method, amount_cents) SELECT u.id, u.order_id, u.method::payment_method, u.amount FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[]) AS u(id, order_id, method, amount)
         ON CONFLICT (id) DO UPDATE SET amount_cents = excluded.amount_cents`,
        [
          pays.map((o) => o.id),
          pays.map((o) => o.order_id),
          pays.map((o) => o.method),
          pays.map((o) => o.amount_cents),
        ],
      );
    if (adjs.length)
      await pg.query(
        `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) SELECT u.id, u.store_id, u.product_id, u.delta, u.reason::adjustment_reason FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int4[], $5::text[]) AS u(id, store_id, product_id, delta, reason)
         ON CONFLICT (id) DO NOTHING`,
        [
          adjs.map((o) => o.id),
          adjs.map((o) => o.store_id),
          adjs.map((o) => o.product_id),
          adjs.map((o) => o.delta),
          adjs.map((o) => o.reason),
        ],
      );
    await pg.query("COMMIT");
  }
  const rawMs = performance.now() - t1;
  await pg.end();

  const agentRate = (changes / agentMs) * 1000;
  const rawRate = (rows.length / rawMs) * 1000;
  console.log(`upstream: ${fmt(changes)} changes, batch ${BATCH}`);
  console.log(`  agent → central, until all SYNCED : ${fmt(agentMs)} ms  ${fmt(agentRate)} changes/s`);
  console.log(`  baseline raw unnest … ON CONFLICT : ${fmt(rawMs)} ms  ${fmt(rawRate)} rows/s`);
  console.log(`  ratio ${((agentRate / rawRate) * 100).toFixed(1)}% (target ≥ 50%)`);
  reportFigure({
    bench: "upstream",
    figure: `${fmt(changes)} outbox changes until SYNCED (baseline: raw unnest upsert)`,
    value: agentRate,
    unit: "changes/s",
    baseline: rawRate,
    target: "ratio ≥ 0.50",
    met: agentRate / rawRate >= 0.5,
  });
  rmSync(dir, { recursive: true, force: true });
  await db.drop();
  await raw.drop();
}

runBench("upstream", main);
