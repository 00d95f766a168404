/**
 * Latency of a sale: a COMPLETED order (order, line, payment) committed in the till's own
 * SQLite connection → committed at central (the push answer that carries its change id has
 * arrived; central answers only after its transaction committed). The agent runs as the daemon
 * does (engine.start(): data_version polling, CRITICAL pushed at once), central in its own
 * process. Baseline in the same run: the same three changes POSTed straight to
 * /api/sync/push (network + central, no agent).
 *   npx tsx bench/latency.ts [orders=1000]
 * Target (SPEC §7): p50 ≤ 50 ms, p99 ≤ 250 ms.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { PushChange, PushResult } from "@tillsync/shared";
import { createAgent, transportFromConfig, type CentralTransport } from "@tillsync/terminal-agent";
import { adminCall, benchAgentConfig, createDatabase, runBench, spawnCentral } from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";

const ORDERS = Number(process.argv[2] ?? 1000);

/** Resolves a waiter when a push answer for its change id arrives. */
class TimedTransport implements CentralTransport {
  private waiters = new Map<string, () => void>();
  constructor(private readonly inner: CentralTransport) {}
  waitFor(entityId: string): Promise<void> {
    return new Promise((resolve) => this.waiters.set(entityId, resolve));
  }
  async push(changes: PushChange[]): Promise<PushResult[]> {
    const results = await this.inner.push(changes);
    for (const c of changes) {
      const w = this.waiters.get(c.entityId);
      if (w && c.entityType === "sale_orders") {
        this.waiters.delete(c.entityId);
        w();
      }
    }
    return results;
  }
  pull: CentralTransport["pull"] = (...a) => this.inner.pull(...a);
  acknowledge: CentralTransport["acknowledge"] = (...a) => this.inner.acknowledge(...a);
  heartbeat: CentralTransport["heartbeat"] = (...a) => this.inner.heartbeat(...a);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function summary(label: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `${label.padEnd(34)} p50 ${percentile(s, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(s, 99).toFixed(1).padStart(6)} ms   max ${percentile(s, 100).toFixed(1).padStart(6)} ms`;
}

async function main(): Promise<void> {
  const db = await createDatabase("latency");
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
    sku: "LAT",
    name: "latency",
    priceCents: 100,
  });

  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-latency-"));
  const file = path.join(dir, "t.db");
  const config = benchAgentConfig(central.url, key, terminal.id, file);
  const http = transportFromConfig(config);
  const transport = new TimedTransport(http);
  const agent = createAgent(config, transport);
  await agent.engine.runCycle();
  agent.engine.start();

  const till = new Database(file);
  till.pragma("busy_timeout = 5000");
  const o = till.prepare(
    `INSERT INTO sale_orders (id, store_id, status, total_cents, completed_at) VALUES (?, ?, 'COMPLETED', 100, strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
  );
  const l = till.prepare(
    `INSERT INTO sale_order_lines (order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, 1, 100, 100)`,
  );
  const p = till.prepare(`INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CARD', 100)`);
  const sell = till.transaction((order: string) => {
    o.run(order, store.id);
    l.run(order, productId);
    p.run(order);
  });

  const agentMs: number[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const order = randomUUID();
    const answered = transport.waitFor(order);
    const t0 = performance.now();
    sell(order);
    await answered;
    agentMs.push(performance.now() - t0);
  }

  // Baseline: the same three changes per sale, pushed directly.
  const baseMs: number[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const order = randomUUID();
    const now = new Date().toISOString();
    const base = {
      baseVersion: null,
      syncPriority: 10,
      createdInMode: "ONLINE",
      createdAt: now,
      operation: "CREATE",
    } as const;
    const changes = [
      {
        ...base,
        changeId: randomUUID(),
        entityType: "sale_orders",
        entityId: order,
        data: {
          id: order,
          store_id: store.id,
          terminal_id: terminal.id,
          status: "COMPLETED",
          total_cents: 100,
          created_at: now,
          completed_at: now,
        },
      },
      {
        ...base,
        changeId: randomUUID(),
        entityType: "sale_order_lines",
        entityId: randomUUID(),
        data: { order_id: order, product_id: productId, quantity: 1, unit_price_cents: 100, line_total_cents: 100 },
      },
      {
        ...base,
        changeId: randomUUID(),
        entityType: "payments",
        entityId: randomUUID(),
        data: { order_id: order, method: "CARD", amount_cents: 100, created_at: now },
      },
    ] as unknown as PushChange[];
    for (const c of changes) c.data = { id: c.entityId, ...c.data };
    const t0 = performance.now();
    const r = await http.push(changes);
    baseMs.push(performance.now() - t0);
    if (r.some((x) => x.status !== "APPLIED")) throw new Error(`baseline push: ${JSON.stringify(r)}`);
  }

  console.log(`latency over ${ORDERS} COMPLETED orders (order + line + payment), central in its own process`);
  console.log(summary("agent: till commit → central commit", agentMs));
  console.log(summary("baseline: direct POST /api/sync/push", baseMs));
  console.log("target: p50 ≤ 50 ms, p99 ≤ 250 ms");
  const sortedAgent = [...agentMs].sort((a, b) => a - b);
  const sortedBase = [...baseMs].sort((a, b) => a - b);
  for (const [p, limit] of [
    [50, 50],
    [99, 250],
  ] as const) {
    const value = percentile(sortedAgent, p);
    reportFigure({
      bench: "latency",
      figure: `COMPLETED order, till commit → central commit, p${p} (baseline: direct push)`,
      value,
      unit: "ms",
      baseline: percentile(sortedBase, p),
      target: `≤ ${limit} ms`,
      met: value <= limit,
    });
  }

  till.close();
  await agent.close();
  central.stop();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
}

runBench("latency", main);
