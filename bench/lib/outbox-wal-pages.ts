/**
 * Pages of the till's file each outbox commit writes during an upstream drain (issue 15): fills
 * the outbox like bench/upstream.ts, then claims batches and records APPLIED answers (central's
 * answer made up), one commit each, and counts the WAL frames each commit added. Another work
 * tree's agent code can be measured with the same script (the baseline):
 *   npx tsx --conditions=@tillsync/source bench/lib/outbox-wal-pages.ts [changes=100000] [batches=20] [repo root]
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PushResult } from "@tillsync/shared";
import type { OutboxRow } from "@tillsync/terminal-agent";
import { writeSales } from "./sale-rows";

const TOTAL = Number(process.argv[2] ?? 100_000);
const BATCHES = Number(process.argv[3] ?? 20);
const ROOT = path.resolve(process.argv[4] ?? path.join(__dirname, "../.."));
const RETRY = { maxAttempts: 5, backoffBaseMs: 1000, backoffCapMs: 60_000 };
/** WAL frame header (24 bytes) plus the page. */
const FRAME = 24 + 4096;

async function main(): Promise<void> {
  const agent = (await import(
    path.join(ROOT, "apps/terminal-agent/src/index.ts")
  )) as typeof import("@tillsync/terminal-agent");
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-walpages-"));
  try {
    const file = path.join(dir, "t.db");
    const db = agent.openTerminalDb(file, path.join(ROOT, "prisma/migrations/terminal"));
    writeSales(db, randomUUID(), randomUUID(), Math.floor(TOTAL / 4));
    const outbox = new agent.OutboxStore(db);
    const wal = () => statSync(`${file}-wal`).size;
    /** Frames one commit adds: checkpointed first, so the WAL restarts from its header. */
    const pages = (fn: () => void): number => {
      db.pragma("wal_checkpoint(TRUNCATE)");
      const before = wal();
      fn();
      return Math.round((wal() - before - (before === 0 ? 32 : 0)) / FRAME);
    };
    const claim: number[] = [];
    const settle: number[] = [];
    for (let i = 0; i < BATCHES; i++) {
      let rows: OutboxRow[] = [];
      claim.push(pages(() => (rows = outbox.claimBatch(1000, 0))));
      const answers = rows.map((r) => ({ changeId: r.change_id, status: "APPLIED", version: 2 }) as PushResult);
      settle.push(pages(() => outbox.atomically(() => outbox.recordResults(rows, answers, RETRY))));
    }
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    console.log(
      `outbox WAL pages per commit of 1,000 changes, ${TOTAL.toLocaleString("en")} queued, ${BATCHES} batches (${ROOT}):`,
    );
    console.log(`  claim  mean ${mean(claim)}, max ${Math.max(...claim)}`);
    console.log(`  settle mean ${mean(settle)}, max ${Math.max(...settle)}`);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
