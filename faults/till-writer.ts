/**
 * A till writer: the till software of one terminal, in its own process, selling with plain SQL
 * into the terminal's SQLite file the way a POS does it: a ticket is opened in one transaction
 * (order PENDING, its lines, the payment, one stock adjustment per line) and completed a few
 * milliseconds later in another (status COMPLETED, completed_at, the customer's loyalty). After
 * each commit it appends what it committed to its ledger (JSON lines), which the checker
 * reconciles with every database. A write that fails (busy, disk full) is rolled back, left
 * out of the ledger and counted. SIGTERM: finish the ticket in hand, then exit.
 *
 * Arguments: one JSON object (WriterOptions) in argv[2].
 */
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import Database from "better-sqlite3";
import type { LedgerEntry, WriterOptions } from "./lib/ledger";
import { prng } from "./lib/util";

const opts = JSON.parse(process.argv[2] ?? "{}") as WriterOptions;
const rand = prng(opts.seed);
let stopping = false;
process.on("SIGTERM", () => (stopping = true));

const db = new Database(opts.databaseFile);
db.pragma("busy_timeout = 5000");
const now = () => new Date().toISOString();
const record = (e: LedgerEntry) => appendFileSync(opts.ledgerFile, JSON.stringify(e) + "\n");

interface Ticket {
  orderId: string;
  customerId: string | null;
  lines: Array<{ id: string; productId: string; quantity: number; unitPriceCents: number; adjustmentId: string }>;
  payment: { id: string; method: string; amountCents: number };
  total: number;
}

function draft(): Ticket | null {
  const products = db.prepare(`SELECT id, price_cents FROM products WHERE active = 1 ORDER BY sku`).all() as Array<{
    id: string;
    price_cents: number;
  }>;
  if (products.length === 0) return null;
  const lines = Array.from({ length: 1 + Math.floor(rand() * opts.maxLines) }, () => {
    const p = products[Math.floor(rand() * products.length)]!;
    return {
      id: randomUUID(),
      productId: p.id,
      quantity: 1 + Math.floor(rand() * 3),
      unitPriceCents: p.price_cents,
      adjustmentId: randomUUID(),
    };
  });
  const total = lines.reduce((s, l) => s + l.quantity * l.unitPriceCents, 0);
  const customers = opts.customerIds ?? [];
  const customerId = customers.length > 0 && rand() < 0.8 ? customers[Math.floor(rand() * customers.length)]! : null;
  const method = rand() < 0.5 ? "CARD" : "CASH";
  return { orderId: randomUUID(), customerId, lines, payment: { id: randomUUID(), method, amountCents: total }, total };
}

const insertOrder = db.prepare(
  `INSERT INTO sale_orders (id, store_id, customer_id, status, total_cents, created_at) VALUES (?, ?, ?, 'PENDING', ?, ?)`,
);
const insertLine = db.prepare(
  `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, ?, ?, ?)`,
);
const insertPayment = db.prepare(
  `INSERT INTO payments (id, order_id, method, amount_cents, created_at) VALUES (?, ?, ?, ?, ?)`,
);
const insertAdjustment = db.prepare(
  `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason, created_at) VALUES (?, ?, ?, ?, 'SALE', ?)`,
);
const completeOrder = db.prepare(`UPDATE sale_orders SET status = 'COMPLETED', completed_at = ? WHERE id = ?`);
const addLoyalty = db.prepare(
  `UPDATE customers SET loyalty_points = loyalty_points + ?, total_spent_cents = total_spent_cents + ? WHERE id = ?`,
);

function open(t: Ticket): void {
  const at = now();
  db.transaction(() => {
    insertOrder.run(t.orderId, opts.storeId, t.customerId, t.total, at);
    for (const l of t.lines)
      insertLine.run(l.id, t.orderId, l.productId, l.quantity, l.unitPriceCents, l.quantity * l.unitPriceCents);
    insertPayment.run(t.payment.id, t.orderId, t.payment.method, t.payment.amountCents, at);
    for (const l of t.lines) insertAdjustment.run(l.adjustmentId, opts.storeId, l.productId, -l.quantity, at);
  }).immediate();
  record({
    kind: "open",
    at,
    orderId: t.orderId,
    customerId: t.customerId,
    total: t.total,
    lines: t.lines,
    payment: t.payment,
  });
}

function complete(t: Ticket): void {
  const at = now();
  const points = t.customerId ? Math.max(1, Math.floor(t.total / 100)) : 0;
  db.transaction(() => {
    completeOrder.run(at, t.orderId);
    if (t.customerId) addLoyalty.run(points, t.total, t.customerId);
  }).immediate();
  record({ kind: "complete", at, orderId: t.orderId, customerId: t.customerId, points, spentCents: t.total });
}

function failed(step: string, err: unknown): void {
  record({ kind: "failed", at: now(), step, error: err instanceof Error ? err.message : String(err) });
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function sell(): Promise<void> {
  const t = draft();
  if (!t) return pause(100);
  try {
    open(t);
  } catch (err) {
    failed("open", err);
    return pause(200);
  }
  await pause(Math.floor(rand() * opts.completeDelayMaxMs));
  try {
    complete(t);
  } catch (err) {
    failed("complete", err);
  }
}

async function main(): Promise<void> {
  let sold = 0;
  while (!stopping && (opts.maxTickets === undefined || sold < opts.maxTickets)) {
    await sell();
    sold++;
    if (opts.gapMs > 0) await pause(opts.gapMs / 2 + rand() * opts.gapMs);
  }
  db.close();
  process.exit(0);
}

void main();
