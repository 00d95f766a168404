import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { loadAgentConfig, type AgentConfig } from "@tillsync/terminal-agent";
import { freePort, removeRedisPrefix, sourceArgs } from "@tillsync/testkit";

export const ROOT = path.resolve(__dirname, "../..");
export const PG_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Names a bench run's databases and Redis prefix carry: BENCH_RUN_ID when the runner (or a
 * test) sets it, so what a run created can be found afterwards; random otherwise.
 */
export const RUN_ID = (process.env.BENCH_RUN_ID ?? randomBytes(4).toString("hex")).toLowerCase();

/** Undone when the bench ends, whether it finished or failed (runBench runs them, newest first). */
const cleanups: Array<() => unknown> = [];

export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

async function runCleanups(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

export function dbUrl(name: string): string {
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createDatabase(label: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `tillsync_bench_${RUN_ID}_${label}_${randomBytes(4).toString("hex")}`;
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const drop = async () => {
    const d = new Client({ connectionString: PG_URL });
    await d.connect();
    await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await d.end();
  };
  onCleanup(drop);
  return { name, url: dbUrl(name), drop };
}

/**
 * Central in its own process, as in production, so the agent's CPU is measured apart. A second
 * instance of the same cluster: pass the first one's `redisPrefix` and `admin`.
 */
export async function spawnCentral(
  databaseUrl: string,
  cluster: { redisPrefix?: string; admin?: string } = {},
): Promise<{ url: string; admin: string; redisPrefix: string; stop(): void; child: ChildProcess }> {
  const port = await freePort();
  const admin = cluster.admin ?? randomBytes(16).toString("hex");
  const redisPrefix = cluster.redisPrefix ?? `tillsync-bench:${RUN_ID}:${port}`;
  // BENCH_CPU_PROF=<dir>: each central writes a V8 CPU profile there when the bench ends.
  const prof = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, ...sourceArgs(path.join(ROOT, "apps/central/src/bin.ts"))], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      PORT: String(port),
      ADMIN_TOKEN: admin,
      REDIS_PREFIX: redisPrefix,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  // Benches need no graceful shutdown; its keys go once it can write no more.
  onCleanup(async () => {
    // A profile is written only at a clean exit: SIGTERM first, SIGKILL if it takes too long.
    if (prof.length > 0) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
    child.kill("SIGKILL");
    await exited;
    await removeRedisPrefix(redisPrefix, REDIS_URL);
  });
  return { url, admin, redisPrefix, child, stop: () => child.kill("SIGKILL") };
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc), or NaN. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds the backends of database `name` use from now until `stop()`, sampled every
 * `everyMs`: a backend that a pool closes during the run keeps the CPU it was last seen with
 * (reading them at both ends only would lose all of it), and one that opens during the run
 * counts from 0. What a backend spends between its last sample and its exit is lost; a pool
 * closes only connections idle for seconds, so that is ~nothing.
 */
export async function pgBackendCpuMeter(name: string, everyMs = 100): Promise<{ stop(): Promise<number> }> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = async (atStart: boolean) => {
    const { rows } = await c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [name]);
    for (const { pid } of rows) {
      const cpu = cpuSeconds(pid);
      if (Number.isNaN(cpu)) continue;
      if (!first.has(pid)) first.set(pid, atStart ? cpu : 0);
      last.set(pid, cpu);
    }
  };
  await sample(true);
  let pending = Promise.resolve();
  const timer = setInterval(() => {
    pending = pending.then(() => sample(false)).catch(() => undefined);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      await sample(false);
      await c.end();
      let sum = 0;
      for (const [pid, cpu] of last) sum += cpu - (first.get(pid) ?? 0);
      return sum;
    },
  };
}

/** utime, stime, cutime, cstime of a process in seconds (Linux /proc), or undefined when it is gone. */
function procTimes(pid: number): { own: number; reaped: number; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      ppid: Number(f[1]),
      own: (Number(f[11]) + Number(f[12])) / 100,
      reaped: (Number(f[13]) + Number(f[14])) / 100,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the whole PostgreSQL cluster has used so far: the postmaster's own, its children
 * that ended (cutime/cstime: the kernel adds a child's time to its parent's when it is reaped, as
 * the postmaster reaps each backend that a pool closes) and those alive now. Unlike counting the
 * backends alive at both ends of a round, a backend that ends or starts in between
 * is counted; the figure covers every database, so other work on the machine shows in it too.
 */
export function pgClusterCpu(): number {
  const pids = pidsNamed("postgres");
  const times = new Map(
    pids.flatMap((pid) => {
      const t = procTimes(pid);
      return t ? [[pid, t] as const] : [];
    }),
  );
  let sum = 0;
  for (const t of times.values()) sum += t.own + (times.has(t.ppid) ? 0 : t.reaped);
  return sum;
}

/** The pids of processes with this command name (Linux /proc), e.g. the machine's redis-server. */
export function pidsNamed(comm: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, "utf8").trim() === comm;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Resident memory of a process in MB (Linux /proc), or NaN when it cannot be read. */
export function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export async function adminCall<T>(url: string, token: string, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(url + p, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** An agent config for a bench, through the agent's own parser (so defaults stay the product's). */
export function benchAgentConfig(
  url: string,
  key: string,
  terminalId: string,
  file: string,
  env: Record<string, string> = {},
): AgentConfig {
  return loadAgentConfig({
    CENTRAL_API_URL: url,
    CENTRAL_API_KEY: key,
    TERMINAL_ID: terminalId,
    TERMINAL_DATABASE_URL: `file:${file}`,
    ...env,
  });
}

/** Runs a bench's main and exits: 0 when it finished, 1 with one line naming the bench if not. */
export function runBench(name: string, main: () => Promise<void>): void {
  main().then(
    async () => {
      await runCleanups();
      process.exit(0);
    },
    async (err: unknown) => {
      console.error(`bench/${name}: ${err instanceof Error ? err.message : String(err)}`);
      await runCleanups();
      process.exit(1);
    },
  );
}
