import path from "node:path";
import { Client } from "pg";
import { startPrivatePostgres, startPrivateRedis } from "@tillsync/testkit";
import { track } from "./children";

/**
 * The suite's own PostgreSQL and Redis (testkit's private servers), started for one run on free
 * ports with their files and logs under the run directory: scenarios restart and kill them,
 * which the shared 5432/6379 instances must never see.
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

export async function startPostgres(dir: string): Promise<PrivatePostgres> {
  const pg = await startPrivatePostgres({
    dir,
    logFile: path.join(dir, "postgres.log"),
    // fsync off is safe here: the scenarios crash PostgreSQL, never the machine. Commits stay
    // synchronous, so an immediate shutdown loses nothing a client was told had committed.
    settings: { fsync: "off", max_connections: "300" },
    onSpawn: track,
  });
  const url = (db = "postgres") => pg.urlOf(db);
  return {
    port: pg.port,
    url,
    async createDatabase(name) {
      const c = new Client({ connectionString: url() });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      return url(name);
    },
    async restart(mode, downMs = 0) {
      await pg.stop(mode);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await pg.start();
    },
    stop: () => pg.stop(),
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

export async function startRedis(dir: string): Promise<PrivateRedis> {
  const redis = await startPrivateRedis({ dir, logFile: path.join(dir, "redis.log"), onSpawn: track });
  return {
    port: redis.port,
    url: redis.url,
    async restart(downMs = 0) {
      await redis.stop("SIGKILL");
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await redis.start();
    },
    flush: () => redis.flush(),
    stop: () => redis.stop("SIGKILL"),
  };
}
