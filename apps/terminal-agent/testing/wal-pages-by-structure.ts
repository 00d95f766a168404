import { readFileSync } from "node:fs";
import type { SqliteDb } from "../src/db/terminal-db";

/**
 * Which table or index each page in the WAL belongs to (SQLite's dbstat), for "where the pages
 * go" beside a pages-per-commit figure (bench/capture-overhead.ts), and for tests that a commit
 * leaves a structure alone (test/captured-tail.test.ts). Call after a commit that followed a
 * `wal_checkpoint(TRUNCATE)`, so the WAL holds that commit's frames only. Pages new to the file
 * are found too: dbstat is read after the commit. dbstat reads the whole file, so this is for a
 * sample of commits, not for every measured one.
 */
export function walPagesByStructure(db: SqliteDb): Map<string, number> {
  const wal = readFileSync(`${db.name}-wal`);
  const out = new Map<string, number>();
  if (wal.length < 32) return out;
  const pageSize = wal.readUInt32BE(8);
  const owner = new Map<number, string>();
  for (const r of db.prepare(`SELECT name, pageno FROM dbstat`).all() as Array<{ name: string; pageno: number }>)
    owner.set(r.pageno, r.name);
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    const name = owner.get(wal.readUInt32BE(at)) ?? "(free list)";
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

/** Per-commit means of several samples, largest first. */
export function meanPages(samples: Array<Map<string, number>>): Array<[string, number]> {
  const sum = new Map<string, number>();
  for (const s of samples) for (const [k, v] of s) sum.set(k, (sum.get(k) ?? 0) + v);
  return [...sum].map(([k, v]) => [k, v / samples.length] as [string, number]).sort((a, b) => b[1] - a[1]);
}
