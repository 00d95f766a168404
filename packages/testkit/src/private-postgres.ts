import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
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
  /** Fast shutdown (SIGINT): clients are disconnected, the server exits; waits for the exit. */
  stop(): Promise<void>;
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

/**
 * A PostgreSQL server of this test's own (initdb into a temp directory, its own port, trust
 * auth, no fsync), for tests that stop and restart PostgreSQL: the shared server is never
 * touched. Needs the server binaries (Debian: postgresql), see binDir().
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const user = runAs();
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, "data");
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
      args.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
      child = spawn(path.join(bin, "postgres"), args, { stdio: "ignore", ...user });
      const started = child;
      await waitFor(
        () => {
          if (started.exitCode !== null) throw new Error(`postgres exited ${started.exitCode}`);
          return answers(urlOf("postgres"));
        },
        { what: `private PostgreSQL on port ${port}` },
      );
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill("SIGINT");
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
