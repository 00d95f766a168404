/**
 * Bootstrap: 100k products + 100k stock rows into an empty terminal, with the agent's peak RSS
 * (the agent runs in its own process): from central's snapshot (GET /api/sync/snapshot, the
 * measured figure) and, for comparison, by replaying the feed page by page (what an agent
 * does against an older central). Baseline in the same run: the same rows inserted straight
 * into SQLite with prepared statements in one transaction.
 *   npx tsx bench/bootstrap.ts [products=100000]      (BOOT_FEED=0: skip the feed replay;
 *                                                      BOOT_PROF=<dir>: CPU profile of the agent;
 *                                                      BOOT_NODE_FLAGS="…": V8 flags for the agent)
 * Targets (SPEC §7, issue 15): ≥ 50k rows/s and ≥ 50% of raw; agent peak RSS ≤ 256 MB.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { Client, Pool } from "pg";
import { sequenceFeed } from "@tillsync/central";
import { openTerminalDb } from "@tillsync/terminal-agent";
import { sourceArgs } from "@tillsync/testkit";
import { adminCall, createDatabase, fmt, runBench, spawnCentral } from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";

const N = Number(process.argv[2] ?? 100_000);

type Central = Awaited<ReturnType<typeof spawnCentral>>;

/** A store, a terminal, and N products with a stock row each, numbered in the feed. */
async function seed(dbUrl: string, central: Central): Promise<{ storeId: string; terminalId: string; key: string }> {
  const call = <T>(p: string, body: unknown) => adminCall<T>(central.url, central.admin, "POST", p, body);
  const { store } = await call<{ store: { id: string } }>("/api/stores", { name: "bench" });
  const { terminal, key } = await call<{ terminal: { id: string }; key: string }>("/api/terminals", {
    name: "bench",
    storeId: store.id,
  });
  const pg = new Client({ connectionString: dbUrl });
  await pg.connect();
  await pg.query(
    `INSERT INTO products (id, sku, name, price_cents) SELECT gen_random_uuid(), 'SKU-' || i, 'Product ' || i, 100 + i % 900 FROM generate_series(1, $1) AS i`,
    [N],
  );
  await pg.query(`INSERT INTO inventory_items (store_id, product_id, quantity) SELECT $1, id, 50 FROM products`, [
    store.id,
  ]);
  await pg.end();
  // A catalogue that exists before a till bootstraps has long been numbered in the feed.
  const pool = new Pool({ connectionString: dbUrl, max: 1 });
  await sequenceFeed(pool);
  await pool.end();
  return { storeId: store.id, terminalId: terminal.id, key };
}

/** The agent's bootstrap in its own process (bootstrap-child.ts), for a fair peak RSS. */
function bootstrapInChild(central: Central, key: string, terminalId: string, file: string, mode: Mode) {
  // BOOT_PROF=<dir>: the child writes a CPU profile there (where the time goes).
  const prof = process.env.BOOT_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BOOT_PROF}`] : [];
  // BOOT_NODE_FLAGS: V8 flags for the agent's process, to weigh one before deploying it.
  const flags = (process.env.BOOT_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const out = execFileSync(
    process.execPath,
    [
      ...flags,
      ...prof,
      ...sourceArgs(path.join(__dirname, process.env.BOOT_CHILD ?? "bootstrap-child.ts")),
      central.url,
      key,
      terminalId,
      file,
      mode,
    ],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  return JSON.parse(out) as Run;
}

/** Baseline: the same number of rows straight into the terminal schema, wall and CPU ms. */
function rawInsert(file: string, storeId: string): { ms: number; cpuMs: number } {
  openTerminalDb(file).close();
  const raw = new Database(file);
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  raw.transaction(() => {
    // As the agent does for rows from central: capture off, so no outbox rows are written.
    raw.prepare(`UPDATE capture_control SET applying = 1 WHERE id = 1`).run();
    const p = raw.prepare(`INSERT INTO products (id, sku, name, price_cents, version) VALUES (?, ?, ?, ?, 1)`);
    const s = raw.prepare(
      `INSERT INTO inventory_items (id, store_id, product_id, quantity, version) VALUES (?, ?, ?, 50, 1)`,
    );
    for (let i = 0; i < N; i++) {
      const id = randomUUID();
      p.run(id, `SKU-${i}`, `Product ${i}`, 100 + (i % 900));
      s.run(randomUUID(), storeId, id);
    }
    raw.prepare(`UPDATE capture_control SET applying = 0 WHERE id = 1`).run();
  })();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  raw.close();
  rmSync(file, { force: true });
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

type Run = { pulled: number; ms: number; cpuMs: number; maxRssMb: number };
type Mode = "snapshot" | "feed";
type Raw = { ms: number; cpuMs: number };

const rate = (rows: number, ms: number) => (rows / ms) * 1000;

/**
 * Wall-clock rates beside rows per CPU-second of the agent process: on a shared two-core
 * machine central, PostgreSQL and other work take turns with the agent, and the CPU figure
 * shows the agent's own cost apart from that.
 */
function report(snap: Run, feed: Run | undefined, raws: Raw[]): void {
  const raw = { ms: mean(raws.map((r) => r.ms)), cpuMs: mean(raws.map((r) => r.cpuMs)) };
  const rawRate = rate(2 * N, raw.ms);
  const rawCpu = rate(2 * N, raw.cpuMs);
  const line = (what: string, r: Run) =>
    console.log(
      `  ${what.padEnd(32)}: ${fmt(r.ms)} ms  ${fmt(rate(r.pulled, r.ms))} rows/s (${(rate(r.pulled, r.ms) / rawRate).toFixed(2)}× raw)` +
        `  ${fmt(rate(r.pulled, r.cpuMs))} rows/CPU-s (${(rate(r.pulled, r.cpuMs) / rawCpu).toFixed(2)}× raw)  peak RSS ${r.maxRssMb.toFixed(0)} MB`,
    );
  console.log(`bootstrap: ${fmt(N)} products + ${fmt(N)} stock rows into an empty terminal`);
  line("agent, snapshot (GET /snapshot)", snap);
  if (feed) line("agent, feed replay (GET /pull)", feed);
  console.log(
    `  ${"baseline raw SQLite inserts".padEnd(32)}: ${fmt(raw.ms)} ms  ${fmt(rawRate)} rows/s  ${fmt(rawCpu)} rows/CPU-s` +
      `  (mean of ${raws.length}: before and after the agent)`,
  );
  console.log(`  targets: ≥ 50,000 rows/s and ≥ 0.5× raw, peak RSS ≤ 256 MB`);
  const value = rate(snap.pulled, snap.ms);
  reportFigure({
    bench: "bootstrap",
    figure: `${fmt(N)} products + stock rows into an empty terminal from the snapshot (baseline: raw SQLite inserts)`,
    value,
    unit: "rows/s",
    baseline: rawRate,
    target: "≥ 50,000 rows/s and ≥ 50% of raw",
    met: value >= 50_000 && value >= rawRate / 2,
  });
  reportFigure({
    bench: "bootstrap",
    figure: "agent peak RSS during the snapshot bootstrap",
    value: snap.maxRssMb,
    unit: "MB",
    baseline: null,
    target: "≤ 256 MB",
    met: snap.maxRssMb <= 256,
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const db = await createDatabase("boot");
  const central = await spawnCentral(db.url);
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-boot-"));
  try {
    const s = await seed(db.url, central);
    const raws = [rawInsert(path.join(dir, "raw-before.db"), s.storeId)];
    const snap = bootstrapInChild(central, s.key, s.terminalId, path.join(dir, "snapshot.db"), "snapshot");
    if (snap.pulled !== 2 * N) throw new Error(`the snapshot bootstrap brought ${snap.pulled} rows, not ${2 * N}`);
    raws.push(rawInsert(path.join(dir, "raw-after.db"), s.storeId));
    // BOOT_FEED=0 skips the old path (the 1M-row run, where it takes minutes).
    const feed =
      process.env.BOOT_FEED === "0"
        ? undefined
        : bootstrapInChild(central, s.key, s.terminalId, path.join(dir, "feed.db"), "feed");
    central.stop();
    report(snap, feed, raws);
  } finally {
    central.stop();
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
}

runBench("bootstrap", main);
