/**
 * `npm run test:faults [-- --full] [-- --only a,b]`: the fault-injection suite (issue 11). It
 * starts its own PostgreSQL and Redis, then runs each scenario in a world of its own (a fresh
 * database, central, agents, proxies and till writers as processes), prints
 * `PASS|FAIL name — figures` per scenario and `N passed, M failed`; exits 1 on any failure.
 * FAULTS_SEED replays a run's random choices; FAULTS_KEEP=1 keeps the run directory (logs,
 * ledgers, SQLite files), which is otherwise kept only when something failed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { passed, resultLine, type Scenario, type ScenarioContext } from "./lib/scenario";
import { startPostgres, startRedis } from "./lib/services";
import { prng } from "./lib/util";
import { SCENARIOS } from "./scenarios";

function parseArgs(argv: string[]): { full: boolean; only: string[] | null } {
  const full = argv.includes("--full");
  const i = argv.indexOf("--only");
  const only = i >= 0 ? (argv[i + 1] ?? "").split(",").filter(Boolean) : null;
  const unknown = argv.filter(
    (a, j) => a.startsWith("--") && a !== "--full" && a !== "--only" && argv[j - 1] !== "--only",
  );
  if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]}; use --full or --only name[,name]`);
  if (only) {
    const bad = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
    if (bad.length > 0)
      throw new Error(`no scenario named ${bad.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  }
  return { full, only };
}

async function runOne(s: Scenario, ctx: ScenarioContext): Promise<boolean> {
  const t0 = Date.now();
  try {
    const r = await s.run(ctx);
    console.log(`${resultLine(s.name, r)}  [${((Date.now() - t0) / 1000).toFixed(0)} s]`);
    if (!passed(r)) for (const p of r.reconciliation.problems) console.log(`    ${p}`);
    return passed(r);
  } catch (err) {
    console.log(`FAIL ${s.name} — error: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

async function main(): Promise<number> {
  const { full, only } = parseArgs(process.argv.slice(2));
  const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-faults-"));
  console.log(`faults: ${full ? "long" : "short"} form, seed ${seed}, run directory ${dir}`);
  const pg = await startPostgres(dir);
  const redis = await startRedis(dir);
  const ctx: ScenarioContext = {
    services: { pg, redis },
    dir,
    full,
    rand: prng(seed),
    log: (line) => console.log(`    ${line}`),
  };
  let ok = 0;
  let bad = 0;
  const t0 = Date.now();
  try {
    for (const s of SCENARIOS.filter((x) => !only || only.includes(x.name))) {
      if (await runOne(s, ctx)) ok++;
      else bad++;
    }
  } finally {
    await redis.stop();
    await pg.stop();
  }
  console.log(`${ok} passed, ${bad} failed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (bad === 0 && process.env.FAULTS_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
  else console.log(`logs, ledgers and databases kept in ${dir}`);
  return bad === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`test:faults: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
