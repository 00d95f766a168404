/**
 * Upstream throughput: 100k mixed outbox changes (orders, lines, payments, adjustments) from
 * one agent until all SYNCED, against raw PostgreSQL `INSERT … SELECT FROM unnest(…) ON
 * CONFLICT` of the same rows in batches of the same size, measured in the same run: once before
 * the agent's run and once after, and averaged, so load from elsewhere on a shared machine that
 * comes or goes during the run weighs on both sides alike.
 *   npx tsx bench/upstream.ts [changes=100000] [batch=1000]
 * Target (SPEC §7): agent ≥ 50% of the raw rate.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { createAgent, type Agent } from "@tillsync/terminal-agent";
import { migrateCentral, openCentralDb } from "@tillsync/central";
import {
  adminCall,
  benchAgentConfig,
  cpuSeconds,
  createDatabase,
  fmt,
  pgBackendCpuMeter,
  runBench,
  spawnCentral,
} from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";
import { writeSales } from "./lib/sale-rows";

const TOTAL = Number(process.argv[2] ?? 100_000);
const BATCH = Number(process.argv[3] ?? 1000);

type Central = Awaited<ReturnType<typeof spawnCentral>>;
type Row = Record<string, string | number>;

async function provision(
  central: Central,
): Promise<{ storeId: string; terminalId: string; key: string; productId: string }> {
  const call = <T>(p: string, body: unknown) => adminCall<T>(central.url, central.admin, "POST", p, body);
  const { store } = await call<{ store: { id: string } }>("/api/stores", { name: "bench" });
  const { terminal, key } = await call<{ terminal: { id: string }; key: string }>("/api/terminals", {
    name: "bench",
    storeId: store.id,
  });
  const productId = randomUUID();
  await call("/api/products", { id: productId, sku: "BENCH", name: "bench", priceCents: 100 });
  return { storeId: store.id, terminalId: terminal.id, key, productId };
}

/** TOTAL/4 sales of 4 rows each (order, line, payment, adjustment); answers the changes captured. */
function fillOutbox(agent: Agent, storeId: string, productId: string): number {
  const db = agent.db;
  writeSales(db, storeId, productId, Math.floor(TOTAL / 4));
  return (db.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'PENDING'`).get() as { n: number }).n;
}

/** The baseline's statement per table: unnest of typed arrays, ON CONFLICT like central's upserts. */
const RAW_UPSERTS: Record<string, { sql: string; columns: string[] }> = {
  sale_orders: {
    sql: `INSERT INTO sale_orders (id, store_id, status, total_cents) SELECT u.id, u.store_id, u.status::sale_order_status, u.total FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[]) AS u(id, store_id, status, total)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, total_cents = excluded.total_cents`,
    columns: ["id", "store_id", "status", "total_cents"],
  },
  sale_order_lines: {
    sql: `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int4[], $5::int4[], $6::int4[])
         ON CONFLICT (id) DO UPDATE SET quantity = excluded.quantity`,
    columns: ["id", "order_id", "product_id", "quantity", "unit_price_cents", "line_total_cents"],
  },
  payments: {
    sql: `INSERT INTO payments (id, order_id, method, amount_cents) SELECT u.id, u.order_id, u.method::payment_method, u.amount FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[]) AS u(id, order_id, method, amount)
         ON CONFLICT (id) DO UPDATE SET amount_cents = excluded.amount_cents`,
    columns: ["id", "order_id", "method", "amount_cents"],
  },
  inventory_adjustments: {
    sql: `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) SELECT u.id, u.store_id, u.product_id, u.delta, u.reason::adjustment_reason FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int4[], $5::text[]) AS u(id, store_id, product_id, delta, reason)
         ON CONFLICT (id) DO NOTHING`,
    columns: ["id", "store_id", "product_id", "delta", "reason"],
  },
};

/** CPU seconds this process has used so far. */
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Wall and CPU time of a run, in ms (CPU: per process group). */
interface Timing {
  ms: number;
  cpuMs: Record<string, number>;
}

/** Baseline: the same rows straight into a fresh central database, same batch size. */
async function rawBaseline(rows: Array<{ entity_type: string; data: string }>): Promise<Timing> {
  const raw = await createDatabase("raw");
  const rawDb = openCentralDb(raw.url, 2);
  await migrateCentral(rawDb.pool);
  await rawDb.close();
  const pg = new Client({ connectionString: raw.url });
  await pg.connect();
  const pgCpu = await pgBackendCpuMeter(raw.name);
  const cpu0 = ownCpu();
  const t1 = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH).map((x) => ({ t: x.entity_type, d: JSON.parse(x.data) as Row }));
    await pg.query("BEGIN");
    for (const [table, { sql, columns }] of Object.entries(RAW_UPSERTS)) {
      const of = batch.filter((b) => b.t === table).map((b) => b.d);
      if (of.length)
        await pg.query(
          sql,
          columns.map((c) => of.map((r) => r[c])),
        );
    }
    await pg.query("COMMIT");
  }
  const ms = performance.now() - t1;
  const cpuMs = { client: (ownCpu() - cpu0) * 1000, postgres: (await pgCpu.stop()) * 1000 };
  await pg.end();
  await raw.drop();
  return { ms, cpuMs };
}

/** CPU per batch of BATCH rows, by process, and in all. */
function perBatch(t: Timing, rows: number): string {
  const batches = rows / BATCH;
  const parts = Object.entries(t.cpuMs).map(([k, v]) => `${k} ${fmt(v / batches)}`);
  const all = Object.values(t.cpuMs).reduce((a, b) => a + b, 0);
  return `${parts.join(", ")}; all ${fmt(all / batches)} ms`;
}

function report(changes: number, agent: Timing, rows: number, raw: [Timing, Timing]): void {
  const agentMs = agent.ms;
  const rawMs = [raw[0].ms, raw[1].ms];
  const agentRate = (changes / agentMs) * 1000;
  const rawRate = (rows / ((rawMs[0]! + rawMs[1]!) / 2)) * 1000;
  console.log(`upstream: ${fmt(changes)} changes, batch ${BATCH}`);
  console.log(`  agent → central, until all SYNCED : ${fmt(agentMs)} ms  ${fmt(agentRate)} changes/s`);
  console.log(
    `  baseline raw unnest … ON CONFLICT : ${fmt(rawMs[0]!)} ms before, ${fmt(rawMs[1]!)} ms after  ${fmt(rawRate)} rows/s`,
  );
  // CPU per batch: what the push costs whatever else the machine runs (the wall clock moves with the load).
  console.log(`  CPU per batch of ${BATCH}, push: ${perBatch(agent, changes)}`);
  console.log(
    `  CPU per batch of ${BATCH}, raw : ${perBatch(raw[0], rows)} (before), ${perBatch(raw[1], rows)} (after)`,
  );
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
}

async function main(): Promise<void> {
  const db = await createDatabase("up");
  const central = await spawnCentral(db.url);
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-bench-"));
  try {
    const s = await provision(central);
    const agent = createAgent(
      benchAgentConfig(central.url, s.key, s.terminalId, path.join(dir, "t.db"), {
        SYNC_BATCH_SIZE: String(BATCH),
        SYNC_TIMEOUT: "120",
      }),
    );
    await agent.engine.runCycle();
    const changes = fillOutbox(agent, s.storeId, s.productId);
    const rows = agent.db.prepare(`SELECT entity_type, data FROM outbox ORDER BY id`).all() as Array<{
      entity_type: string;
      data: string;
    }>;
    const rawBefore = await rawBaseline(rows);
    // Sampled through the run: central's pool may close a connection before it ends.
    const pgCpu = await pgBackendCpuMeter(db.name);
    const cpu0 = [ownCpu(), cpuSeconds(central.child.pid)];
    const t0 = performance.now();
    const r = await agent.engine.runCycle();
    const agentMs = performance.now() - t0;
    const cpuMs = {
      agent: (ownCpu() - cpu0[0]!) * 1000,
      central: (cpuSeconds(central.child.pid) - cpu0[1]!) * 1000,
      postgres: (await pgCpu.stop()) * 1000,
    };
    if (r.error) throw new Error(r.error);
    const left = (agent.db.prepare(`SELECT count(*) AS n FROM outbox WHERE status <> 'SYNCED'`).get() as { n: number })
      .n;
    if (left !== 0) throw new Error(`${left} changes not SYNCED`);
    await agent.close();
    // A profiled central (BENCH_CPU_PROF) is stopped at cleanup, gently, so it writes its profile.
    if (!process.env.BENCH_CPU_PROF) central.stop();
    report(changes, { ms: agentMs, cpuMs }, rows.length, [rawBefore, await rawBaseline(rows)]);
  } finally {
    if (!process.env.BENCH_CPU_PROF) central.stop();
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
}

runBench("upstream", main);
