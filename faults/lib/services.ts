import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { track } from "./children";
import { freePort } from "@tillsync/testkit";
import { waitUntil } from "./util";

/**
 * The suite's own PostgreSQL and Redis, started for one run on free ports with their data
 * under the run directory: scenarios restart and kill them, which the shared 5432/6379
 * instances must never see.
 */
export interface PrivatePostgres {
  readonly port: number;
  /** The URL of a database on this server. */
  url(database?: string): string;
  createDatabase(name: string): Promise<string>;
  /** `mode` fast = a clean shutdown; immediate = a crash (SIGQUIT, WAL replay on start). */
  restart(mode: "fast" | "immediate", downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function postgresBin(name: string): string {
  const r = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  const dir = r.status === 0 ? r.stdout.trim() : "";
  return dir ? path.join(dir, name) : name;
}

/** initdb and postgres refuse to run as root: run them as the `postgres` account there. */
function ownerIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error("running as root needs a postgres account");
  return { uid, gid };
}

async function postgresAnswers(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export async function startPostgres(dir: string): Promise<PrivatePostgres> {
  const data = path.join(dir, "pg");
  mkdirSync(data, { recursive: true });
  const ids = ownerIds();
  if (ids.uid !== undefined) {
    // The postgres account must be able to reach its data directory inside the run directory.
    chmodSync(dir, 0o755);
    chownSync(data, ids.uid, ids.gid!);
  }
  const init = spawnSync(postgresBin("initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"], {
    ...ids,
    encoding: "utf8",
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr.trim()}`);
  const port = await freePort();
  const url = (db = "postgres") => `postgresql://postgres@127.0.0.1:${port}/${db}`;
  let child: ChildProcess | null = null;
  const logFd = openSync(path.join(dir, "postgres.log"), "a");
  const start = async () => {
    child = track(
      spawn(
        postgresBin("postgres"),
        ["-D", data, "-p", String(port), "-k", data, "-c", "listen_addresses=127.0.0.1"].concat(
          // fsync off is safe here: the scenarios crash PostgreSQL, never the machine. Commits stay
          // synchronous, so an immediate shutdown loses nothing a client was told had committed.
          ["fsync=off", "max_connections=300"].flatMap((o) => ["-c", o]),
        ),
        { ...ids, stdio: ["ignore", logFd, logFd] },
      ),
    );
    await waitUntil(() => postgresAnswers(url()), 30_000, "private PostgreSQL to accept connections");
  };
  const stopChild = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    url,
    async createDatabase(name) {
      const c = new Client({ connectionString: url() });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      return url(name);
    },
    async restart(mode, downMs = 0) {
      await stopChild(mode === "fast" ? "SIGINT" : "SIGQUIT");
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    stop: () => stopChild("SIGINT"),
  };
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Stops it (SIGKILL) and starts it again empty: the compose file runs it without persistence. */
  restart(downMs?: number): Promise<void>;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

function redisPing(port: number, command = "PING"): Promise<string> {
  return new Promise((resolve) => {
    const r = spawnSync("redis-cli", ["-p", String(port), command], { encoding: "utf8", timeout: 2000 });
    resolve(r.status === 0 ? r.stdout.trim() : "");
  });
}

export async function startRedis(dir: string): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const logFd = openSync(path.join(dir, "redis.log"), "a");
  const start = async () => {
    child = track(
      spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
        { stdio: ["ignore", logFd, logFd] },
      ),
    );
    await waitUntil(async () => (await redisPing(port)) === "PONG", 10_000, "private Redis to answer PING");
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart(downMs = 0) {
      await kill();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async flush() {
      await redisPing(port, "FLUSHALL");
    },
    stop: kill,
  };
}
