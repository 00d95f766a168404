import { spawn, type ChildProcess } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import path from "node:path";
import { sourceArgs } from "@tillsync/testkit";
import { track } from "./children";
import { ROOT } from "./util";

/** What a till writer is told (faults/till-writer.ts reads it from argv). */
export interface WriterOptions {
  databaseFile: string;
  ledgerFile: string;
  storeId: string;
  seed: number;
  /** Mean pause between tickets (uniform in [gap/2, 1.5·gap]); 0 sells flat out. */
  gapMs: number;
  /** The PENDING → COMPLETED gap is uniform in [0, this). */
  completeDelayMaxMs: number;
  maxLines: number;
  /** Customers a ticket may belong to (80 % of tickets then earn loyalty). */
  customerIds?: string[];
  /** Stop after this many tickets. */
  maxTickets?: number;
}

export interface LedgerLine {
  id: string;
  productId: string;
  quantity: number;
  unitPriceCents: number;
  adjustmentId: string;
}

export type LedgerEntry =
  | {
      kind: "open";
      at: string;
      orderId: string;
      customerId: string | null;
      total: number;
      lines: LedgerLine[];
      payment: { id: string; method: string; amountCents: number };
    }
  | { kind: "complete"; at: string; orderId: string; customerId: string | null; points: number; spentCents: number }
  | { kind: "failed"; at: string; step: string; error: string };

/** One ticket as the ledger says it was committed. */
export interface LedgerTicket {
  orderId: string;
  customerId: string | null;
  total: number;
  lines: LedgerLine[];
  payment: { id: string; method: string; amountCents: number };
  completedAt: string | null;
  points: number;
  spentCents: number;
}

export interface Ledger {
  tickets: Map<string, LedgerTicket>;
  failedWrites: number;
  /** Sum of loyalty increments per customer this till committed. */
  loyalty: Map<string, { points: number; spent: number }>;
}

export function readLedger(file: string): Ledger {
  const ledger: Ledger = { tickets: new Map(), failedWrites: 0, loyalty: new Map() };
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return ledger;
  }
  for (const raw of text.split("\n")) {
    if (!raw) continue;
    const e = JSON.parse(raw) as LedgerEntry;
    if (e.kind === "failed") ledger.failedWrites++;
    else if (e.kind === "open")
      ledger.tickets.set(e.orderId, { ...e, completedAt: null, points: 0, spentCents: 0 } as LedgerTicket);
    else {
      const t = ledger.tickets.get(e.orderId)!;
      Object.assign(t, { completedAt: e.at, points: e.points, spentCents: e.spentCents });
      if (e.customerId) {
        const l = ledger.loyalty.get(e.customerId) ?? { points: 0, spent: 0 };
        l.points += e.points;
        l.spent += e.spentCents;
        ledger.loyalty.set(e.customerId, l);
      }
    }
  }
  return ledger;
}

/** A till writer process (faults/till-writer.ts) for one terminal. */
export class WriterProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly options: WriterOptions,
    private readonly logDir: string,
    private readonly name: string,
    /** Process variables (a skewed clock: the till software shares the till's clock). */
    private readonly processEnv: Record<string, string> = {},
  ) {}

  start(overrides: Partial<WriterOptions> = {}): void {
    const fd = openSync(path.join(this.logDir, `${this.name}-writer.log`), "a");
    const opts = { ...this.options, ...overrides, seed: this.options.seed + Math.floor(Math.random() * 1e6) };
    const args = [...sourceArgs(path.join(ROOT, "faults/till-writer.ts")), JSON.stringify(opts)];
    const env = { ...process.env, ...this.processEnv };
    const child = track(spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", fd, fd] }));
    this.child = child;
    this.exited = new Promise((r) => child.once("exit", () => r()));
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for a writer started with maxTickets to finish by itself. */
  finished(): Promise<void> {
    return this.exited;
  }

  /** SIGTERM: the writer finishes the ticket in hand (both its transactions) and exits. */
  async stop(): Promise<void> {
    if (this.running) this.child!.kill("SIGTERM");
    await this.exited;
  }

  ledger(): Ledger {
    return readLedger(this.options.ledgerFile);
  }
}
