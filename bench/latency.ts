/**
 * Latency of a sale: a COMPLETED order (order, line, payment) committed in the till's own
 * SQLite connection → committed at central (the push answer that carries its change id has
 * arrived; central answers only after its transaction committed). The agent runs as the daemon
 * does (engine.start(): data_version polling, CRITICAL pushed at once), central in its own
 * process. Baseline in the same run: the same three changes POSTed straight to
 * /api/sync/push (network + central, no agent). With a backlog, that many MEDIUM changes
 * (new customers) wait in the outbox when the sales start and drain meanwhile: a COMPLETED
 * sale must still overtake them (priority lanes, not FIFO; issue 15 target 4).
 *   npx tsx bench/latency.ts [orders=1000] [backlog=0]     (SYNC_BATCH_SIZE=…: the agent's batch size)
 * Target (SPEC §7): p50 ≤ 50 ms, p99 ≤ 250 ms, also with a backlog of 50,000.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { Priority, type PushChange, type PushResult } from "@tillsync/shared";
import { createAgent, transportFromConfig, type CentralTransport } from "@tillsync/terminal-agent";
import { adminCall, benchAgentConfig, createDatabase, runBench, spawnCentral } from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";

const ORDERS = Number(process.argv[2] ?? 1000);
const BACKLOG = Number(process.argv[3] ?? 0);
const SALE_GAP_MS = 40;

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

interface Setup {
  storeId: string;
  terminalId: string;
  productId: string;
  key: string;
}

async function provision(central: { url: string; admin: string }): Promise<Setup> {
  const call = <T>(p: string, body: unknown) => adminCall<T>(central.url, central.admin, "POST", p, body);
  const { store } = await call<{ store: { id: string } }>("/api/stores", { name: "bench" });
  const { terminal, key } = await call<{ terminal: { id: string }; key: string }>("/api/terminals", {
    name: "bench",
    storeId: store.id,
  });
  const productId = randomUUID();
  await call("/api/products", { id: productId, sku: "LAT", name: "latency", priceCents: 100 });
  return { storeId: store.id, terminalId: terminal.id, productId, key };
}

/** The till's own connection and a prepared sale (order + line + payment in one transaction). */
function openTill(file: string, s: Setup): { till: Database.Database; sell: (order: string) => void } {
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
    o.run(order, s.storeId);
    l.run(order, s.productId);
    p.run(order);
  });
  return { till, sell: (order) => void sell(order) };
}

/** BACKLOG new customers, captured as MEDIUM changes before the daemon starts. */
function fillBacklog(till: Database.Database, n: number): void {
  const c = till.prepare(`INSERT INTO customers (id, name, email) VALUES (?, ?, ?)`);
  till.transaction(() => {
    for (let i = 0; i < n; i++) c.run(randomUUID(), `backlog ${i}`, `b${i}@example.com`);
  })();
}

function outboxWaiting(till: Database.Database): number {
  return (till.prepare(`SELECT count(*) AS n FROM outbox WHERE status <> 'SYNCED'`).get() as { n: number }).n;
}

/** The three changes of one sale as the agent would push them, for the direct baseline. */
function saleChanges(order: string, s: Setup): PushChange[] {
  const now = new Date().toISOString();
  const base = { baseVersion: null, syncPriority: 10, createdInMode: "ONLINE", createdAt: now, operation: "CREATE" };
  const lineId = randomUUID();
  const paymentId = randomUUID();
  const rows: Array<[string, string, Record<string, unknown>]> = [
    [
      "sale_orders",
      order,
      {
        store_id: s.storeId,
        terminal_id: s.terminalId,
        status: "COMPLETED",
        total_cents: 100,
        created_at: now,
        completed_at: now,
      },
    ],
    [
      "sale_order_lines",
      lineId,
      { order_id: order, product_id: s.productId, quantity: 1, unit_price_cents: 100, line_total_cents: 100 },
    ],
    ["payments", paymentId, { order_id: order, method: "CARD", amount_cents: 100, created_at: now }],
  ];
  return rows.map(([entityType, entityId, data]) => ({
    ...base,
    changeId: randomUUID(),
    entityType,
    entityId,
    data: { id: entityId, ...data },
  })) as unknown as PushChange[];
}

/**
 * Sales one after another. Behind a backlog they come every SALE_GAP_MS, as at a busy till:
 * back to back, each sale would join the push loop of the one before and no backlog batch
 * would ever be in flight when a sale arrives, which is the case this measures.
 */
async function measureAgent(transport: TimedTransport, sell: (order: string) => void): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < ORDERS; i++) {
    if (BACKLOG) await new Promise((r) => setTimeout(r, SALE_GAP_MS * Math.random()));
    const order = randomUUID();
    const answered = transport.waitFor(order);
    const t0 = performance.now();
    sell(order);
    await answered;
    ms.push(performance.now() - t0);
  }
  return ms;
}

async function measureBaseline(http: CentralTransport, s: Setup): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const changes = saleChanges(randomUUID(), s);
    const t0 = performance.now();
    const r = await http.push(changes);
    ms.push(performance.now() - t0);
    if (r.some((x) => x.status !== "APPLIED")) throw new Error(`baseline push: ${JSON.stringify(r)}`);
  }
  return ms;
}

function report(agentMs: number[], baseMs: number[], drained: number): void {
  const behind = BACKLOG ? `, ${BACKLOG} MEDIUM changes queued (${drained} drained meanwhile)` : "";
  console.log(`latency over ${ORDERS} COMPLETED orders (order + line + payment)${behind}, central in its own process`);
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
      figure: `COMPLETED order${BACKLOG ? ` behind a ${BACKLOG}-change backlog` : ""}, till commit → central commit, p${p} (baseline: direct push)`,
      value,
      unit: "ms",
      baseline: percentile(sortedBase, p),
      target: `≤ ${limit} ms`,
      met: value <= limit,
    });
  }
}

async function main(): Promise<void> {
  const db = await createDatabase("latency");
  const central = await spawnCentral(db.url);
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-latency-"));
  try {
    const s = await provision(central);
    const file = path.join(dir, "t.db");
    // SYNC_BATCH_SIZE=…: backlog batches of another size (the default is the agent's).
    const batch = process.env.SYNC_BATCH_SIZE;
    const config = benchAgentConfig(central.url, s.key, s.terminalId, file, batch ? { SYNC_BATCH_SIZE: batch } : {});
    const http = transportFromConfig(config);
    const transport = new TimedTransport(http);
    const agent = createAgent(config, transport);
    await agent.engine.runCycle();
    const { till, sell } = openTill(file, s);
    fillBacklog(till, BACKLOG);
    const queued = outboxWaiting(till);
    agent.engine.start();
    // The backlog drains from the first MEDIUM cycle on, as the interval would start it.
    const draining = BACKLOG ? agent.engine.runCycle(Priority.MEDIUM) : undefined;
    const agentMs = await measureAgent(transport, sell);
    const drained = Math.max(0, queued - outboxWaiting(till));
    await draining;
    await agent.close();
    const baseMs = await measureBaseline(http, s);
    report(agentMs, baseMs, drained);
    till.close();
  } finally {
    central.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench("latency", main);
