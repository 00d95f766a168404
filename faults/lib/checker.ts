import type { Ledger, LedgerTicket } from "./ledger";
import { centralSnapshot, tillSnapshot, type SideSnapshot } from "./snapshot";
import type { World } from "./world";

/**
 * The reconciliation of one scenario: every ledger against its till's SQLite and central's
 * PostgreSQL, and every till against central. Each count is a number of rows (or units for
 * stock and loyalty); `problems` names the first few, so a FAIL says where to look.
 */
export interface Reconciliation {
  /** Tickets the ledgers hold (opened; completed ones are most of them). */
  sales: number;
  /** Rows of the tills' tables at central (orders + lines + payments + adjustments). */
  centralRows: number;
  /** Ledger rows absent at central, or absent from the till that committed them. */
  missing: number;
  /** Rows at central (of a till's tables) that no ledger committed: doubled or invented. */
  doubled: number;
  /** Rows present on both sides with a different value (status, completion, amounts...). */
  mismatched: number;
  /** Units: |central − (start − sold)| per product, plus |till − central| per till and product. */
  stockDiff: number;
  /** Points: |central − (start + increments)| per customer, plus |till − central|. */
  loyaltyDiff: number;
  /** Products whose till row differs from central's. */
  catalogueDiff: number;
  /**
   * Outbox rows still to send or parked (PENDING, SYNCING, FAILED) over all tills. CONFLICT
   * rows are answered (central resolved them by the policy, e.g. MERGE) and count as settled.
   */
  unsynced: number;
  /** SYNCED outbox rows whose change central has no record of applying. */
  unconfirmed: number;
  failedWrites: number;
  problems: string[];
}

export function clean(r: Reconciliation): boolean {
  return (
    r.missing +
      r.doubled +
      r.mismatched +
      r.stockDiff +
      r.loyaltyDiff +
      r.catalogueDiff +
      r.unsynced +
      r.unconfirmed ===
    0
  );
}

/** Outbox states central has answered for good. */
const SETTLED = new Set(["SYNCED", "CONFLICT"]);

class Tally {
  r: Reconciliation = {
    sales: 0,
    centralRows: 0,
    missing: 0,
    doubled: 0,
    mismatched: 0,
    stockDiff: 0,
    loyaltyDiff: 0,
    catalogueDiff: 0,
    unsynced: 0,
    unconfirmed: 0,
    failedWrites: 0,
    problems: [],
  };
  add(field: keyof Omit<Reconciliation, "problems">, n: number, problem: string): void {
    if (n === 0) return;
    this.r[field] += n;
    if (this.r.problems.length < 8) this.r.problems.push(problem);
  }
}

/** One ticket against one side: the order, its lines, its payment, its adjustments. */
function compareTicket(t: LedgerTicket, side: SideSnapshot, where: string, tally: Tally): void {
  const o = side.orders.get(t.orderId);
  if (!o) return tally.add("missing", 1, `${where}: order ${t.orderId.slice(0, 8)} missing`);
  const status = t.completedAt ? "COMPLETED" : "PENDING";
  const completed = t.completedAt ? new Date(t.completedAt).getTime() : null;
  if (o.status !== status || o.completedAt !== completed || o.total !== t.total || o.customerId !== t.customerId)
    tally.add(
      "mismatched",
      1,
      `${where}: order ${t.orderId.slice(0, 8)} is ${o.status}/${o.completedAt ? "completed_at" : "no completed_at"}, ledger ${status}`,
    );
  for (const l of t.lines) {
    const got = side.lines.get(l.id);
    if (!got) tally.add("missing", 1, `${where}: line ${l.id.slice(0, 8)} missing`);
    else if (got.orderId !== t.orderId || got.quantity !== l.quantity || got.unitPriceCents !== l.unitPriceCents)
      tally.add("mismatched", 1, `${where}: line ${l.id.slice(0, 8)} differs`);
    const adj = side.adjustments.get(l.adjustmentId);
    if (!adj) tally.add("missing", 1, `${where}: adjustment ${l.adjustmentId.slice(0, 8)} missing`);
    else if (adj.delta !== -l.quantity || adj.productId !== l.productId)
      tally.add("mismatched", 1, `${where}: adjustment ${l.adjustmentId.slice(0, 8)} differs`);
  }
  const p = side.payments.get(t.payment.id);
  if (!p) tally.add("missing", 1, `${where}: payment ${t.payment.id.slice(0, 8)} missing`);
  else if (p.amountCents !== t.payment.amountCents || p.method !== t.payment.method || p.orderId !== t.orderId)
    tally.add("mismatched", 1, `${where}: payment ${t.payment.id.slice(0, 8)} differs`);
}

/** Central rows of one terminal that its ledger never committed. */
function countExtras(terminalId: string, ledger: Ledger, central: SideSnapshot, tally: Tally): number {
  const lineIds = new Set<string>();
  const paymentIds = new Set<string>();
  const adjustmentIds = new Set<string>();
  for (const t of ledger.tickets.values()) {
    paymentIds.add(t.payment.id);
    for (const l of t.lines) {
      lineIds.add(l.id);
      adjustmentIds.add(l.adjustmentId);
    }
  }
  let rows = 0;
  const mine = new Set<string>();
  for (const [id, o] of central.orders) {
    if (o.terminalId !== terminalId) continue;
    mine.add(id);
    rows++;
    if (!ledger.tickets.has(id)) tally.add("doubled", 1, `central: order ${id.slice(0, 8)} in no ledger`);
  }
  const extra = (kind: string, id: string, known: Set<string>) => {
    rows++;
    if (!known.has(id)) tally.add("doubled", 1, `central: ${kind} ${id.slice(0, 8)} in no ledger`);
  };
  for (const [id, l] of central.lines) if (mine.has(l.orderId)) extra("line", id, lineIds);
  for (const [id, p] of central.payments) if (mine.has(p.orderId)) extra("payment", id, paymentIds);
  for (const [id, a] of central.adjustments) if (a.terminalId === terminalId) extra("adjustment", id, adjustmentIds);
  return rows;
}

function compareStock(
  world: World,
  ledgers: Ledger[],
  central: SideSnapshot,
  tills: SideSnapshot[],
  tally: Tally,
): void {
  const sold = new Map<string, number>();
  for (const l of ledgers)
    for (const t of l.tickets.values())
      for (const line of t.lines) sold.set(line.productId, (sold.get(line.productId) ?? 0) + line.quantity);
  for (const p of world.products) {
    const at = central.stock.get(p.id) ?? 0;
    const expected = world.initialStock - (sold.get(p.id) ?? 0);
    tally.add("stockDiff", Math.abs(at - expected), `central: stock of ${p.sku} is ${at}, expected ${expected}`);
    tills.forEach((s, i) => {
      const q = s.stock.get(p.id) ?? 0;
      tally.add("stockDiff", Math.abs(q - at), `${world.tills[i]!.name}: stock of ${p.sku} is ${q}, central ${at}`);
    });
  }
}

function compareLoyalty(
  world: World,
  ledgers: Ledger[],
  central: SideSnapshot,
  tills: SideSnapshot[],
  tally: Tally,
): void {
  for (const c of world.customers) {
    const inc = ledgers.reduce((s, l) => s + (l.loyalty.get(c.id)?.points ?? 0), 0);
    const spent = ledgers.reduce((s, l) => s + (l.loyalty.get(c.id)?.spent ?? 0), 0);
    const at = central.customers.get(c.id) ?? { points: 0, spent: 0 };
    const d = Math.abs(at.points - (c.points + inc));
    tally.add(
      "loyaltyDiff",
      d,
      `central: customer ${c.id.slice(0, 8)} has ${at.points} points, expected ${c.points + inc}`,
    );
    if (at.spent !== c.spent + spent)
      tally.add(
        "mismatched",
        1,
        `central: customer ${c.id.slice(0, 8)} spent ${at.spent}, expected ${c.spent + spent}`,
      );
    tills.forEach((s, i) => {
      const q = s.customers.get(c.id) ?? { points: 0, spent: 0 };
      const dt = Math.abs(q.points - at.points);
      tally.add(
        "loyaltyDiff",
        dt,
        `${world.tills[i]!.name}: customer ${c.id.slice(0, 8)} ${q.points}, central ${at.points}`,
      );
    });
  }
}

/** Reconciles everything the world holds now. */
export async function reconcile(world: World): Promise<Reconciliation> {
  const tally = new Tally();
  const central = await centralSnapshot(world.pool);
  const ledgers = world.tills.map((t) => t.writer.ledger());
  const tills = world.tills.map((t) => t.read((db) => tillSnapshot(db)));
  world.tills.forEach((till, i) => {
    const ledger = ledgers[i]!;
    const local = tills[i]!;
    tally.r.sales += ledger.tickets.size;
    tally.r.failedWrites += ledger.failedWrites;
    for (const t of ledger.tickets.values()) {
      compareTicket(t, central, `central/${till.name}`, tally);
      compareTicket(t, local, till.name, tally);
    }
    tally.r.centralRows += countExtras(till.terminalId, ledger, central, tally);
    const unsynced = Object.entries(local.outbox).reduce((s, [k, n]) => s + (SETTLED.has(k) ? 0 : n), 0);
    tally.add("unsynced", unsynced, `${till.name}: outbox ${JSON.stringify(local.outbox)}`);
    const unconfirmed = local.synced.filter((id) => !central.applied.has(`${till.terminalId}:${id}`)).length;
    tally.add("unconfirmed", unconfirmed, `${till.name}: ${unconfirmed} answered changes central never applied`);
    let cat = 0;
    for (const [id, key] of central.products) if (local.products.get(id) !== key) cat++;
    tally.add("catalogueDiff", cat, `${till.name}: ${cat} products differ from central`);
  });
  compareStock(world, ledgers, central, tills, tally);
  compareLoyalty(world, ledgers, central, tills, tally);
  return tally.r;
}
