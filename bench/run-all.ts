/**
 * `npm run bench`: every bench in bench/, one after another, each in its own process (as
 * `npx tsx bench/<name>.ts` runs it), then one table (figure, value, baseline, ratio, target,
 * met) and bench/results.json. `npm run bench -- <name> [size] [more args]` runs one.
 * PostgreSQL and Redis: DATABASE_URL / REDIS_URL, or started here where nothing answers.
 * BENCH_RESULTS sets where the results go (default bench/results.json).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureServices, sourceArgs } from "@tillsync/testkit";
import type { BenchFigure } from "./lib/bench-report";
import { figureTable } from "./lib/bench-table";

/** Each bench and what its first argument sizes (its own defaults apply when none is given). */
export const BENCHES: Record<string, string> = {
  upstream: "outbox changes",
  bootstrap: "products",
  latency: "orders",
  "fan-out": "agents",
  "capture-overhead": "sales per round",
  heartbeats: "terminals",
  "feed-page": "feed entries",
};

class UsageError extends Error {}

function parseArgs(argv: string[]): { names: string[]; args: string[] } {
  const [name, ...args] = argv;
  if (name === undefined) return { names: Object.keys(BENCHES), args: [] };
  if (!(name in BENCHES)) throw new UsageError(`unknown bench "${name}"; known: ${Object.keys(BENCHES).join(", ")}`);
  for (const a of args)
    if (!/^[1-9]\d*$/.test(a)) throw new UsageError(`${name}: "${a}" is not a positive whole number`);
  return { names: [name], args };
}

function runOne(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; figures: BenchFigure[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tillsync-bench-"));
  const file = path.join(dir, "figures.jsonl");
  writeFileSync(file, "");
  const child = spawn(process.execPath, [...sourceArgs(path.join(__dirname, `${name}.ts`)), ...args], {
    cwd: path.resolve(__dirname, ".."),
    env: { ...env, BENCH_FIGURES_FILE: file },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return new Promise((resolve) =>
    child.on("close", (code) => {
      const figures = readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as BenchFigure);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, figures });
    }),
  );
}

async function main(): Promise<number> {
  const { names, args } = parseArgs(process.argv.slice(2));
  const services = await ensureServices({
    postgresUrl: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    log: (s) => console.log(`[bench] ${s}`),
  });
  const runId = process.env.BENCH_RUN_ID ?? randomBytes(4).toString("hex");
  const env = { ...process.env, DATABASE_URL: services.postgresUrl, REDIS_URL: services.redisUrl, BENCH_RUN_ID: runId };
  const figures: BenchFigure[] = [];
  const failed: string[] = [];
  try {
    for (const name of names) {
      console.log(`\n== bench ${name}${args.length ? ` ${args.join(" ")}` : ""}`);
      const r = await runOne(name, args, env);
      figures.push(...r.figures);
      if (r.code !== 0 || r.figures.length === 0) failed.push(name);
    }
  } finally {
    await services.stop();
  }
  console.log(`\n${figureTable(figures)}`);
  if (failed.length) console.log(`\nfailed: ${failed.join(", ")}`);
  const out = process.env.BENCH_RESULTS ?? path.join(__dirname, "results.json");
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", node: process.version };
  writeFileSync(
    out,
    `${JSON.stringify({ ranAt: new Date().toISOString(), machine, args, figures, failed }, null, 2)}\n`,
  );
  console.log(`results: ${path.relative(process.cwd(), out)}`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
