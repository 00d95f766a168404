/**
 * Which b-trees each record-and-claim commit of an upstream drain writes (issue 15): fills the
 * outbox like bench/upstream.ts, runs the push pipeline's loop (two batches in flight, each
 * answer recorded and the next batch claimed in one commit, central's answer made up), and maps
 * every WAL frame a commit added to its b-tree through `dbstat`. For the outbox table it also
 * says which of its pages hold rows of the batch claimed and of the batch settled (rowids read
 * from the file's leaf pages), so the three writes of a page can be told apart.
 *   npx tsx --conditions=@tillsync/source bench/lib/outbox-wal-map.ts [changes=100000] [batch=1000] [repo root]
 */
import { randomUUID } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Priority, type PushResult } from "@tillsync/shared";
import type { OutboxRow } from "@tillsync/terminal-agent";
import { writeSales } from "./sale-rows";

const TOTAL = Number(process.argv[2] ?? 100_000);
const BATCH = Number(process.argv[3] ?? 1000);
const ROOT = path.resolve(process.argv[4] ?? path.join(__dirname, "../.."));
const RETRY = { maxAttempts: 5, backoffBaseMs: 1000, backoffCapMs: 60_000 };

/** Page numbers of the frames in a WAL file. */
function walPages(file: string, pageSize: number): number[] {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (let at = 32; at + 24 + pageSize <= buf.length; at += 24 + pageSize) out.push(buf.readUInt32BE(at));
  return out;
}

function varint(b: Buffer, at: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 9; i++) {
    const c = b[at + i]!;
    if (i === 8) return [v * 256 + c, at + 9];
    v = v * 128 + (c & 0x7f);
    if (c < 0x80) return [v, at + i + 1];
  }
  return [v, at + 9];
}

/** Rowid → page of a table's leaf pages, read from the (checkpointed) database file. */
function rowPages(file: string, pageSize: number, leaves: number[]): Map<number, number> {
  const fd = openSync(file, "r");
  const page = Buffer.alloc(pageSize);
  const out = new Map<number, number>();
  try {
    for (const no of leaves) {
      readSync(fd, page, 0, pageSize, (no - 1) * pageSize);
      const hdr = no === 1 ? 100 : 0;
      if (page[hdr] !== 0x0d) continue;
      const cells = page.readUInt16BE(hdr + 3);
      for (let i = 0; i < cells; i++) {
        const ptr = page.readUInt16BE(hdr + 8 + 2 * i);
        const [, next] = varint(page, ptr);
        const [rowid] = varint(page, next);
        out.set(rowid, no);
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

type AgentModule = typeof import("@tillsync/terminal-agent");
type SqliteDb = ReturnType<AgentModule["openTerminalDb"]>;

/** Every page's b-tree, and the outbox's leaf pages, as the file holds them now. */
function pageOwners(db: SqliteDb): { byPage: Map<number, string>; leaves: number[] } {
  const byPage = new Map<number, string>();
  const leaves: number[] = [];
  for (const r of db.prepare(`SELECT name, pageno, pagetype FROM dbstat`).all() as Array<{
    name: string;
    pageno: number;
    pagetype: string;
  }>) {
    byPage.set(r.pageno, r.name);
    if (r.name === "outbox" && r.pagetype === "leaf") leaves.push(r.pageno);
  }
  return { byPage, leaves };
}

/** What one commit wrote: pages per b-tree, and the outbox pages of the batch settled and claimed. */
interface CommitMap {
  per: Map<string, number>;
  settlePages: number;
  claimPages: number;
  both: number;
  tableWritten: number;
  tableOther: number;
}

function mapCommit(
  pages: Set<number>,
  byPage: Map<number, string>,
  where: Map<number, number>,
  sent: OutboxRow[],
  next: OutboxRow[],
): CommitMap {
  const per = new Map<string, number>();
  for (const p of pages) {
    const name = byPage.get(p) ?? "(new or free)";
    per.set(name, (per.get(name) ?? 0) + 1);
  }
  const settleP = new Set(sent.map((r) => where.get(r.id)));
  const claimP = new Set(next.map((r) => where.get(r.id)));
  const table = [...pages].filter((p) => byPage.get(p) === "outbox");
  return {
    per,
    settlePages: settleP.size,
    claimPages: claimP.size,
    both: [...claimP].filter((p) => settleP.has(p)).length,
    tableWritten: table.length,
    tableOther: table.filter((p) => !settleP.has(p) && !claimP.has(p)).length,
  };
}

/** The drain: each answer recorded and the next batch claimed in one commit, each commit mapped. */
function drain(agent: AgentModule, db: SqliteDb, file: string, pageSize: number): void {
  const outbox = new agent.OutboxStore(db);
  const answer = (rows: OutboxRow[]): PushResult[] =>
    rows.map((r) => ({ changeId: r.change_id, status: "APPLIED", version: 2 }) as PushResult);
  let inFlight = outbox.claimBatch(BATCH, Priority.BACKGROUND);
  let beside = outbox.claimBatch(BATCH, Priority.BACKGROUND, inFlight);
  const total = new Map<string, number>();
  let commits = 0;
  const sums = { claimPages: 0, settlePages: 0, both: 0, tableWritten: 0, tableOther: 0 };
  while (inFlight.length > 0) {
    db.pragma("wal_checkpoint(TRUNCATE)");
    const { byPage, leaves } = pageOwners(db);
    const where = rowPages(file, pageSize, leaves);
    const sent = inFlight;
    let next: OutboxRow[] = [];
    outbox.atomically(() => {
      outbox.recordResults(sent, answer(sent), RETRY);
      next = outbox.claimBatch(BATCH, Priority.BACKGROUND, beside);
    });
    const pages = new Set(walPages(`${file}-wal`, pageSize));
    const m = mapCommit(pages, byPage, where, sent, next);
    for (const [name, n] of m.per) total.set(name, (total.get(name) ?? 0) + n);
    for (const k of Object.keys(sums) as Array<keyof typeof sums>) sums[k] += m[k];
    if (commits % 10 === 0 || process.env.MAP_ALL)
      console.log(
        `commit ${commits}: ${pages.size} pages`,
        Object.fromEntries(m.per),
        `settle rows on ${m.settlePages} pages, claim on ${m.claimPages}, both ${m.both}, other table pages ${m.tableOther}`,
      );
    commits++;
    inFlight = beside;
    beside = next;
  }
  const mean = (v: number) => (v / commits).toFixed(1);
  console.log(`${commits} commits; mean pages per commit:`);
  for (const [k, v] of [...total].sort((a, b) => b[1] - a[1])) console.log(`  ${k}: ${mean(v)}`);
  console.log(
    `  outbox table: settle rows' pages ${mean(sums.settlePages)}, claim rows' ${mean(sums.claimPages)}, ` +
      `both ${mean(sums.both)}, written ${mean(sums.tableWritten)}, neither (the sweep) ${mean(sums.tableOther)}`,
  );
}

async function main(): Promise<void> {
  const agent = (await import(path.join(ROOT, "apps/terminal-agent/src/index.ts"))) as AgentModule;
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-walmap-"));
  try {
    const file = path.join(dir, "t.db");
    const db = agent.openTerminalDb(file, path.join(ROOT, "prisma/migrations/terminal"));
    writeSales(db, randomUUID(), randomUUID(), Math.floor(TOTAL / 4));
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const sizes = db
      .prepare(`SELECT name, count(*) AS pages, sum(payload) AS payload FROM dbstat GROUP BY name ORDER BY pages DESC`)
      .all();
    console.log("b-trees at start:", sizes.slice(0, 8));
    drain(agent, db, file, pageSize);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
