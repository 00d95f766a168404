import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { listRedisKeys, runSource, TEST_PG_URL, TEST_REDIS_URL, type RunResult } from "@tillsync/testkit";

const root = path.resolve(__dirname, "../../..");

function runBench(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runSource("bench/run-all.ts", args, {
    cwd: root,
    env: { ...process.env, DATABASE_URL: TEST_PG_URL, REDIS_URL: TEST_REDIS_URL, ...env },
  });
}

describe("npm run bench (bench/run-all.ts)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-bench-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs one bench, prints the figure table, writes the results, and leaves no database or Redis key", async () => {
    const runId = `t${randomBytes(4).toString("hex")}`;
    const results = path.join(dir, "results.json");
    const r = await runBench(["latency", "20"], { BENCH_RUN_ID: runId, BENCH_RESULTS: results });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^figure\s+value\s+baseline\s+ratio\s+target\s+met$/m);
    expect(r.stdout).toMatch(/^latency: .*p99.* ms\s+[\d.]+ ms\s+[\d.]+×\s+≤ 250 ms\s+(yes|NO)$/m);
    const json = JSON.parse(readFileSync(results, "utf8")) as {
      figures: Array<{ bench: string; value: number; baseline: number; ratio: number; met: boolean }>;
      failed: string[];
    };
    expect(json.failed).toEqual([]);
    expect(json.figures).toHaveLength(2);
    for (const f of json.figures) {
      expect(f.bench).toBe("latency");
      expect(f.value).toBeGreaterThan(0);
      expect(f.ratio).toBeCloseTo(f.value / f.baseline, 6);
    }
    expect(await listRedisKeys(`tillsync-bench:${runId}`)).toEqual([]);
    const pg = new Client({ connectionString: TEST_PG_URL });
    await pg.connect();
    try {
      const left = await pg.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `tillsync_bench_${runId}_%`,
      ]);
      expect(left.rows).toEqual([]);
    } finally {
      await pg.end();
    }
  }, 120_000);

  it.each([
    [
      ["nope"],
      /^bench: unknown bench "nope"; known: upstream, bootstrap, latency, fan-out, capture-overhead, heartbeats, feed-page$/,
    ],
    [["latency", "lots"], /^bench: latency: "lots" is not a positive whole number$/],
  ])("refuses %j with exit 2 and one line", async (args, message) => {
    const r = await runBench(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
  });
});
