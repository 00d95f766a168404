import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { waitFor } from "./wait-for";
import { freePort } from "./free-port";

export interface PrivatePostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** A connection URL for one database of this server. */
  urlOf(database: string): string;
  /**
   * Shuts down and waits for the exit: `fast` (SIGINT) disconnects clients cleanly; `immediate`
   * (SIGQUIT) is a crash, WAL replay on the next start.
   */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts it again on the same port and data directory (the data is kept). */
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
}

/** The PostgreSQL server binaries: PG_BIN_DIR, or the newest /usr/lib/postgresql/<n>/bin. */
function binDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => path.join(root, v, "bin")).find((d) => existsSync(path.join(d, "initdb")));
  if (!found) throw new Error("no PostgreSQL server binaries: install postgresql or set PG_BIN_DIR");
  return found;
}

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

async function answers(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  c.on("error", () => undefined);
  try {
    await c.connect();
    await c.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface PrivatePostgresOptions {
  /** Where its files go (`<dir>/pg`); a temp directory by default, removed by destroy(). */
  dir?: string;
  /**
   * Server settings (`-c name=value`), replacing the defaults: fsync, synchronous_commit and
   * full_page_writes off, since a test never survives a machine crash. Keep synchronous_commit
   * on where a test kills the server and counts what clients were told had committed.
   */
  settings?: Record<string, string>;
  /** The server's output goes to this file (discarded by default). */
  logFile?: string;
  /** Told of every server process started (e.g. to kill it if the test process dies). */
  onSpawn?: (child: ChildProcess) => void;
}

const TEST_SETTINGS = { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };

/** A directory for the server's files, reachable by the `postgres` account when it runs as that. */
function serverDir(user: { uid: number; gid: number } | undefined, parent?: string): string {
  let dir: string;
  if (parent) {
    dir = path.join(parent, "pg");
    mkdirSync(dir, { recursive: true });
    if (user) chmodSync(parent, 0o755);
  } else dir = mkdtempSync(path.join(tmpdir(), "tillsync-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

/**
 * A PostgreSQL server of this test's own (initdb into its own directory, its own port, trust
 * auth), for tests that stop, crash and restart PostgreSQL: the shared server is never touched.
 * Needs the server binaries (Debian: postgresql), see binDir().
 */
export async function startPrivatePostgres(opts: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const bin = binDir();
  const user = runAs();
  const dir = serverDir(user, opts.dir);
  const data = path.join(dir, "data");
  const out = opts.logFile ? openSync(opts.logFile, "a") : "ignore";
  execFileSync(
    path.join(bin, "initdb"),
    ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
    { stdio: "ignore", ...user },
  );
  const port = await freePort();
  const urlOf = (database: string) => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  let child: ChildProcess | undefined;
  const handle: PrivatePostgres = {
    url: urlOf("postgres"),
    port,
    urlOf,
    async start() {
      const args = ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1"];
      for (const [k, v] of Object.entries(opts.settings ?? TEST_SETTINGS)) args.push("-c", `${k}=${v}`);
      child = spawn(path.join(bin, "postgres"), args, { stdio: ["ignore", out, out], ...user });
      opts.onSpawn?.(child);
      const started = child;
      await waitFor(
        () => {
          if (started.exitCode !== null) throw new Error(`postgres exited ${started.exitCode}`);
          return answers(urlOf("postgres"));
        },
        // A start after an immediate shutdown replays the WAL first.
        { what: `private PostgreSQL on port ${port}`, timeoutMs: 30_000 },
      );
    },
    async stop(mode = "fast") {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill(mode === "fast" ? "SIGINT" : "SIGQUIT");
      });
    },
    async destroy() {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}
