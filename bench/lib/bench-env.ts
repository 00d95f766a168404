import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { Client } from "pg";
import { loadAgentConfig, type AgentConfig } from "@tillsync/terminal-agent";
import { sourceArgs } from "@tillsync/testkit";

export const ROOT = path.resolve(__dirname, "../..");
export const PG_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export function dbUrl(name: string): string {
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createDatabase(label: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `tillsync_bench_${label}_${randomBytes(4).toString("hex")}`;
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return {
    name,
    url: dbUrl(name),
    async drop() {
      const d = new Client({ connectionString: PG_URL });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Central in its own process, as in production, so the agent's CPU is measured apart. */
export async function spawnCentral(
  databaseUrl: string,
): Promise<{ url: string; admin: string; stop(): void; child: ChildProcess }> {
  const port = await freePort();
  const admin = randomBytes(16).toString("hex");
  const child = spawn(process.execPath, sourceArgs(path.join(ROOT, "apps/central/src/bin.ts")), {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      PORT: String(port),
      ADMIN_TOKEN: admin,
      REDIS_PREFIX: `bench-${port}`,
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
  // Benches need no graceful shutdown.
  return { url, admin, child, stop: () => child.kill("SIGKILL") };
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
    () => process.exit(0),
    (err: unknown) => {
      console.error(`bench/${name}: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
