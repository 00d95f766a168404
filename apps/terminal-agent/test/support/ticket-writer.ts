import { Worker } from "node:worker_threads";

/** What the writer committed, ticket by ticket. */
export interface TicketLedger {
  orders: string[];
  lines: number;
  payments: number;
}

/**
 * A till selling in its own thread, the way till software does: per ticket `INSERT` the order
 * PENDING, its lines and its payment (each its own autocommit statement), then, a few
 * milliseconds later, `UPDATE … COMPLETED` in a separate transaction. A thread (not the test's
 * event loop) so its commits land at any point of the agent's work, between any two statements.
 */
export function runTicketWriter(opts: {
  file: string;
  storeId: string;
  tickets: number;
  seed: number;
  /** Longest pause between two steps of a ticket, ms. */
  maxPauseMs: number;
}): Promise<TicketLedger> {
  const worker = new Worker(WRITER_SOURCE, {
    eval: true,
    workerData: { ...opts, sqlite: require.resolve("better-sqlite3") },
  });
  return new Promise((resolve, reject) => {
    worker.once("message", (m: TicketLedger) => resolve(m));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`ticket writer exited with ${code}`));
    });
  });
}

const WRITER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { randomUUID } = require("node:crypto");
const Database = require(workerData.sqlite);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
let s = workerData.seed >>> 0;
const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.floor(rand() * (workerData.maxPauseMs + 1)));
const ledger = { orders: [], lines: 0, payments: 0 };
const order = db.prepare("INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', ?)");
const line = db.prepare("INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, 1, ?, ?)");
const payment = db.prepare("INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CARD', ?)");
const done = db.prepare("UPDATE sale_orders SET status = 'COMPLETED', completed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
for (let t = 0; t < workerData.tickets; t++) {
  const id = randomUUID();
  const n = 1 + Math.floor(rand() * 3);
  order.run(id, workerData.storeId, n * 100);
  for (let i = 0; i < n; i++) { pause(); line.run(randomUUID(), id, randomUUID(), 100, 100); }
  pause();
  payment.run(randomUUID(), id, n * 100);
  pause();
  done.run(id);
  ledger.orders.push(id);
  ledger.lines += n;
  ledger.payments += 1;
}
db.close();
parentPort.postMessage(ledger);
`;
