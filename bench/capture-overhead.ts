/**
 * Capture overhead: the till's writes with the capture triggers (each write also lands in the
 * outbox, same transaction) against the same writes into the same schema without them,
 * measured in the same run, alternating rounds so neither side gets a warmer disk or cache.
 * A write is what a till does per sale: one transaction with the order, two lines, a payment
 * and a stock adjustment (5 rows, 5 captured), and separately a single-row price edit.
 * Two conditions, each with its own pair of files:
 *  - offline: nothing is ever pushed, every captured row stays PENDING (the outbox grows to
 *    sales × rounds × 5 unconfirmed rows);
 *  - online: after each sale (untimed) its rows are marked SYNCED, as the agent's push does
 *    within milliseconds of a CRITICAL sale, so the outbox is days of SYNCED history and a
 *    handful of unconfirmed rows. The marking runs on the till's connection: the cost measured
 *    is capture's, not a second connection's cache invalidation.
 *   npx tsx bench/capture-overhead.ts [sales=5000] [rounds=4]
 *   SYNCHRONOUS=FULL BENCH_DIR=/var/lib/till npx tsx bench/capture-overhead.ts   (a default till connection)
 * Target (SPEC §7): with capture ≤ 1.3× without.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { indexCapturedTail, INDEXED_SQL, openTerminalDb, type SqliteDb } from "@tillsync/terminal-agent";
import { runBench } from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";
import { meanPages, walPagesByStructure } from "@tillsync/terminal-agent/testing";

const SALES = Number(process.argv[2] ?? 5000);
const ROUNDS = Number(process.argv[3] ?? 4);
/** The till's connection decides durability: the agent uses NORMAL, a default connection FULL. */
const SYNCHRONOUS = (process.env.SYNCHRONOUS ?? "NORMAL").toUpperCase();

function open(dir: string, name: string, capture: boolean): SqliteDb {
  const db = openTerminalDb(path.join(dir, name));
  db.pragma(`synchronous = ${SYNCHRONOUS}`);
  if (!capture) {
    // Only the capture triggers go; the stock-display and append-only triggers are not capture.
    const triggers = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tillsync_capture_%'`)
      .all() as Array<{ name: string }>;
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
  }
  const storeId = randomUUID();
  const products = Array.from({ length: 50 }, () => randomUUID());
  db.transaction(() => {
    const p = db.prepare(`INSERT INTO products (id, sku, name, price_cents) VALUES (?, ?, 'p', 100)`);
    products.forEach((id, i) => p.run(id, `SKU-${i}`));
  })();
  Object.assign(db, { bench: { storeId, products } });
  return db;
}

/**
 * What the agent does between two of the till's sales (untimed: its own transactions, not the
 * till's). Online: the push marks the sale's rows SYNCED at once and, having left nothing to
 * send, takes them out of the partial entity index (`confirmed = 1`), as OutboxStore's confirm
 * sweep does; so the index holds the handful of unconfirmed rows, as on a till that has run for
 * a while. Offline: nothing is pushed; the daemon moves the captured tail into the entity index
 * (capture/captured-tail.ts) once a second, and a till's sales are seconds apart, so each sale
 * finds the tail indexed. Sales faster than that would meet the tail's own bound (one in ~100
 * indexing it), which this bench does not model.
 */
function afterSale(db: SqliteDb, online: boolean): () => void {
  const index = db.transaction(() => indexCapturedTail(db));
  if (!online) return () => void index.immediate();
  // As a push: its claim indexes the tail first, then finds the rows by the status index (its
  // predicate spelt out, INDEXED_SQL).
  const mark = db.prepare(
    `UPDATE outbox SET status = 'SYNCED', confirmed = 1, last_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      WHERE status = 'PENDING' AND ${INDEXED_SQL}`,
  );
  return () => {
    index.immediate();
    mark.run();
  };
}

/** What one write costs: µs of wall time, or the pages its commit appended to the WAL. */
interface Meter {
  before(): void;
  after(): number;
}

function clock(): Meter {
  let t0 = 0;
  return { before: () => void (t0 = performance.now()), after: () => (performance.now() - t0) * 1000 };
}

/**
 * Pages per commit: the WAL is emptied before each write (checkpoint, truncate) and its frames
 * counted after. Unlike time, this does not move with the machine's load, and a small commit's
 * cost is mostly its pages (each a 4 KiB WAL write, later copied back by a checkpoint).
 */
function walPages(db: SqliteDb): Meter {
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  return {
    before: () => void db.pragma("wal_checkpoint(TRUNCATE)"),
    after: () => Math.max(0, statSync(`${db.name}-wal`).size - 32) / (pageSize + 24),
  };
}

/** Per-sale transaction, each committed on its own as the till does: µs (or pages) per sale. */
function sales(db: SqliteDb, n: number, online = false, meter = clock(), after = afterSale(db, online)): number {
  const { storeId, products } = (db as unknown as { bench: { storeId: string; products: string[] } }).bench;
  const o = db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 300)`);
  const l = db.prepare(
    `INSERT INTO sale_order_lines (order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, 1, 150, 150)`,
  );
  const p = db.prepare(`INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CASH', 300)`);
  const a = db.prepare(
    `INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -2, 'SALE')`,
  );
  const sale = db.transaction((order: string, product: string) => {
    o.run(order, storeId);
    l.run(order, product);
    l.run(order, product);
    p.run(order);
    a.run(storeId, product);
  });
  const confirm = after;
  let total = 0;
  for (let i = 0; i < n; i++) {
    meter.before();
    sale(randomUUID(), products[i % products.length]!);
    total += meter.after();
    confirm();
  }
  return total / n;
}

/** Single-row updates (a price edit on the till), autocommit: µs per write. */
function edits(db: SqliteDb, n: number, online = false, meter = clock()): number {
  const { products } = (db as unknown as { bench: { products: string[] } }).bench;
  const u = db.prepare(`UPDATE products SET price_cents = ? WHERE id = ?`);
  const confirm = afterSale(db, online);
  let total = 0;
  for (let i = 0; i < n; i++) {
    meter.before();
    u.run(100 + (i % 7), products[i % products.length]);
    total += meter.after();
    confirm();
  }
  return total / n;
}

/**
 * What the agent's step after a sale writes (WAL pages per sale, offline: moving the sale's rows
 * into the entity index), off the till's transaction: the cost capture moved, not removed.
 */
function afterSalePages(db: SqliteDb, online: boolean): number {
  const step = afterSale(db, online);
  const meter = walPages(db);
  db.pragma("wal_autocheckpoint = 0");
  let total = 0;
  for (let i = 0; i < 100; i++) {
    sales(db, 1, online, clock(), () => undefined);
    meter.before();
    step();
    total += meter.after();
  }
  db.pragma("wal_autocheckpoint = 1000");
  return total / 100;
}

/** Pages per sale and per edit, with and without capture, on the files as the rounds left them. */
function pages(withCapture: SqliteDb, without: SqliteDb, online: boolean): Figures["pages"] {
  const per = (db: SqliteDb) => {
    db.pragma("wal_autocheckpoint = 0"); // no checkpoint inside a measured commit
    const r = { sale: sales(db, 300, online, walPages(db)), edit: edits(db, 300, online, walPages(db)) };
    db.pragma("wal_autocheckpoint = 1000");
    return r;
  };
  const w = per(withCapture);
  const wo = per(without);
  return { saleWith: w.sale, saleWithout: wo.sale, editWith: w.edit, editWithout: wo.edit };
}

/**
 * Where a sale's extra pages go: the pages of a sample of sales by table and index, with capture
 * minus without (SQLite's dbstat), the structures that differ most first.
 */
function pagesByStructure(withCapture: SqliteDb, without: SqliteDb, online: boolean): Array<[string, number]> {
  const sample = (db: SqliteDb) => {
    const seen: Array<Map<string, number>> = [];
    const meter: Meter = {
      before: () => void db.pragma("wal_checkpoint(TRUNCATE)"),
      after: () => (seen.push(walPagesByStructure(db)), 0),
    };
    db.pragma("wal_autocheckpoint = 0");
    sales(db, 50, online, meter);
    db.pragma("wal_autocheckpoint = 1000");
    return new Map(meanPages(seen));
  };
  const w = sample(withCapture);
  const wo = sample(without);
  const names = new Set([...w.keys(), ...wo.keys()]);
  return [...names]
    .map((n) => [n, (w.get(n) ?? 0) - (wo.get(n) ?? 0)] as [string, number])
    .filter(([, d]) => Math.abs(d) >= 0.05)
    .sort((a, b) => b[1] - a[1]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

interface Figures {
  saleWith: number[];
  saleWithout: number[];
  editWith: number[];
  editWithout: number[];
  /** WAL pages per commit, measured after the timed rounds. */
  pages: { saleWith: number; saleWithout: number; editWith: number; editWithout: number };
  /** WAL pages per sale of the agent's step after it (see afterSale), off the till's transaction. */
  agentPages: number;
  /** A sale's pages with capture minus without, by table and index. */
  byStructure: Array<[string, number]>;
  /** Outbox rows in the with-capture file at the end, and how many of them are unconfirmed. */
  captured: number;
  unconfirmed: number;
}

/** One condition: its own pair of files, alternating rounds so neither gets a warmer cache. */
function measure(dir: string, online: boolean): Figures {
  const name = online ? "online" : "offline";
  const withCapture = open(dir, `${name}-with.db`, true);
  const without = open(dir, `${name}-without.db`, false);
  sales(withCapture, 200, online); // warm both
  sales(without, 200, online);
  const r = {
    saleWith: [] as number[],
    saleWithout: [] as number[],
    editWith: [] as number[],
    editWithout: [] as number[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [true, false] : [false, true];
    for (const cap of order) {
      const db = cap ? withCapture : without;
      (cap ? r.saleWith : r.saleWithout).push(sales(db, SALES, online));
      (cap ? r.editWith : r.editWithout).push(edits(db, SALES, online));
    }
  }
  const count = (where: string) =>
    (withCapture.prepare(`SELECT count(*) AS n FROM outbox ${where}`).get() as { n: number }).n;
  const measured = pages(withCapture, without, online);
  const byStructure = pagesByStructure(withCapture, without, online);
  // Online, the step is the bench's stand-in for a push (the real one also claims and sweeps).
  const agentPages = online ? Number.NaN : afterSalePages(withCapture, online);
  const figures = {
    ...r,
    pages: measured,
    byStructure,
    agentPages,
    captured: count(""),
    unconfirmed: count(`WHERE status <> 'SYNCED'`),
  };
  withCapture.close();
  without.close();
  return figures;
}

function print(online: boolean, f: Figures): void {
  const row = (label: string, w: number[], wo: number[]) =>
    `  ${label.padEnd(44)} with ${median(w).toFixed(1).padStart(7)} µs   without ${median(wo).toFixed(1).padStart(7)} µs   ratio ${(median(w) / median(wo)).toFixed(2)}×`;
  console.log(
    online
      ? "online (each sale's rows marked SYNCED after it, untimed, as the agent's push does):"
      : "offline (nothing pushed: every captured row stays PENDING):",
  );
  console.log(row("sale: 1 tx, order + 2 lines + payment + adj.", f.saleWith, f.saleWithout));
  console.log(row("price edit: 1-row UPDATE, autocommit", f.editWith, f.editWithout));
  const p = f.pages;
  console.log(
    `  WAL pages per commit: sale ${p.saleWith.toFixed(1)} vs ${p.saleWithout.toFixed(1)} = ${(p.saleWith / p.saleWithout).toFixed(2)}×, ` +
      `price edit ${p.editWith.toFixed(1)} vs ${p.editWithout.toFixed(1)} = ${(p.editWith / p.editWithout).toFixed(2)}× (load-independent)`,
  );
  console.log(
    `  a sale's extra pages by structure: ${f.byStructure.map(([n, d]) => `${n} ${d >= 0 ? "+" : ""}${d.toFixed(2)}`).join(", ")}`,
  );
  if (!online)
    console.log(
      `  the agent indexing each sale's captured tail, in its own transaction: ${f.agentPages.toFixed(1)} WAL pages per sale`,
    );
  console.log(`  outbox rows at the end: ${f.captured}, of them unconfirmed: ${f.unconfirmed}`);
  for (const [what, w, wo] of [
    ["a sale (1 transaction, 5 rows)", f.saleWith, f.saleWithout],
    ["a price edit (1-row UPDATE)", f.editWith, f.editWithout],
  ] as const) {
    reportFigure({
      bench: "capture-overhead",
      figure: `${what} with capture (baseline: without)${online ? ", online" : ", offline"}`,
      value: median(w),
      unit: "µs",
      baseline: median(wo),
      target: "ratio ≤ 1.3",
      met: median(w) / median(wo) <= 1.3,
    });
  }
}

function main(): void {
  // BENCH_DIR: put the files on the till's real disk (tmpfs makes fsync free).
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), "tillsync-capture-"));
  console.log(
    `capture overhead, median of ${ROUNDS} alternating rounds of ${SALES} writes (WAL, synchronous=${SYNCHRONOUS}, ${dir})`,
  );
  try {
    for (const online of [false, true]) print(online, measure(dir, online));
    console.log("target: ≤ 1.3×");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench("capture-overhead", async () => main());
