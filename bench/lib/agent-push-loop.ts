/**
 * The agent's side of the upstream push without central (issue 15): fills the outbox like
 * bench/upstream.ts, then claims batches and records APPLIED answers for them in the loop the
 * push pipeline runs (the answer recorded and the next batch claimed in one transaction),
 * timing each part. Central's answer is made up: this measures SQLite and the agent's JS only.
 *   npx tsx --conditions=@tillsync/source bench/lib/agent-push-loop.ts [changes=100000] [batch=1000]
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Priority, type PushResult } from "@tillsync/shared";
import { openTerminalDb, OutboxStore, type OutboxRow } from "@tillsync/terminal-agent";
import { writeSales } from "./sale-rows";

const TOTAL = Number(process.argv[2] ?? 100_000);
const BATCH = Number(process.argv[3] ?? 1000);
const RETRY = { maxAttempts: 5, backoffBaseMs: 1000, backoffCapMs: 60_000 };

const dir = mkdtempSync(path.join(tmpdir(), "tillsync-loop-"));
try {
  const db = openTerminalDb(path.join(dir, "t.db"));
  const storeId = randomUUID();
  const productId = randomUUID();
  writeSales(db, storeId, productId, Math.floor(TOTAL / 4));
  const outbox = new OutboxStore(db);
  const answer = (rows: OutboxRow[]): PushResult[] =>
    rows.map((r) => ({ changeId: r.change_id, status: "APPLIED", version: 2 }) as PushResult);
  const t = { claim: 0, record: 0, commit: 0 };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let inFlight = outbox.claimBatch(BATCH, Priority.BACKGROUND);
  let beside = outbox.claimBatch(BATCH, Priority.BACKGROUND, inFlight);
  let n = 0;
  while (inFlight.length > 0) {
    let next: OutboxRow[] = [];
    const sent = inFlight;
    const a = performance.now();
    let b = a;
    let c = a;
    outbox.atomically(() => {
      outbox.recordResults(sent, answer(sent), RETRY);
      b = performance.now();
      next = outbox.claimBatch(BATCH, Priority.BACKGROUND, beside);
      c = performance.now();
    });
    const d = performance.now();
    t.record += b - a;
    t.claim += c - b;
    t.commit += d - c;
    n += sent.length;
    inFlight = beside;
    beside = next;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const batches = n / BATCH;
  const per = (v: number) => (v / batches).toFixed(1);
  console.log(
    `${n} changes in ${ms.toFixed(0)} ms, CPU ${((cpu.user + cpu.system) / 1000 / batches).toFixed(1)} ms per batch; ` +
      `per batch: record ${per(t.record)}, claim ${per(t.claim)}, commit ${per(t.commit)} ms`,
  );
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
