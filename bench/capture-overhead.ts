/**
 * Capture overhead: the till's writes with the capture triggers (each write also lands in the
 * outbox, same transaction) against the same writes into the same schema without them,
 * measured in the same run, alternating rounds so neither side gets a warmer disk or cache.
 * A write is what a till does per sale: one transaction with the order, two lines, a payment
 * and a stock adjustment (5 rows, 5 captured), and separately a single-row price edit.
 *   npx tsx bench/capture-overhead.ts [sales=5000] [rounds=4]
 *   SYNCHRONOUS=FULL BENCH_DIR=/var/lib/till npx tsx bench/capture-overhead.ts   (a default till connection)
 * Target (SPEC §7): with capture ≤ 1.3× without.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openTerminalDb, type SqliteDb } from "@tillsync/terminal-agent";
import { runBench } from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";

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

/** Per-sale transaction, each committed on its own as the till does: µs per sale. */
function sales(db: SqliteDb, n: number): number {
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
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sale(randomUUID(), products[i % products.length]!);
  return ((performance.now() - t0) * 1000) / n;
}

/** Single-row updates (a price edit on the till), autocommit: µs per write. */
function edits(db: SqliteDb, n: number): number {
  const { products } = (db as unknown as { bench: { products: string[] } }).bench;
  const u = db.prepare(`UPDATE products SET price_cents = ? WHERE id = ?`);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) u.run(100 + (i % 7), products[i % products.length]);
  return ((performance.now() - t0) * 1000) / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function main(): void {
  // BENCH_DIR: put the files on the till's real disk (tmpfs makes fsync free).
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), "tillsync-capture-"));
  const withCapture = open(dir, "with.db", true);
  const without = open(dir, "without.db", false);
  sales(withCapture, 200); // warm both
  sales(without, 200);
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
      (cap ? r.saleWith : r.saleWithout).push(sales(db, SALES));
      (cap ? r.editWith : r.editWithout).push(edits(db, SALES));
    }
  }
  const captured = (withCapture.prepare(`SELECT count(*) AS n FROM outbox`).get() as { n: number }).n;
  const row = (label: string, w: number[], wo: number[]) =>
    `${label.padEnd(44)} with ${median(w).toFixed(1).padStart(7)} µs   without ${median(wo).toFixed(1).padStart(7)} µs   ratio ${(median(w) / median(wo)).toFixed(2)}×`;
  console.log(
    `capture overhead, median of ${ROUNDS} alternating rounds of ${SALES} writes (WAL, synchronous=${SYNCHRONOUS}, ${dir})`,
  );
  console.log(row("sale: 1 tx, order + 2 lines + payment + adj.", r.saleWith, r.saleWithout));
  console.log(row("price edit: 1-row UPDATE, autocommit", r.editWith, r.editWithout));
  console.log(`outbox rows captured: ${captured} (the without-capture file has no outbox rows)`);
  console.log("target: ≤ 1.3×");
  for (const [what, w, wo] of [
    ["a sale (1 transaction, 5 rows)", r.saleWith, r.saleWithout],
    ["a price edit (1-row UPDATE)", r.editWith, r.editWithout],
  ] as const) {
    reportFigure({
      bench: "capture-overhead",
      figure: `${what} with capture (baseline: without)`,
      value: median(w),
      unit: "µs",
      baseline: median(wo),
      target: "ratio ≤ 1.3",
      met: median(w) / median(wo) <= 1.3,
    });
  }
  withCapture.close();
  without.close();
  rmSync(dir, { recursive: true, force: true });
}

runBench("capture-overhead", async () => main());
