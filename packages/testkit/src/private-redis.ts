import { spawn, type ChildProcess } from "node:child_process";
import { openSync } from "node:fs";
import { tmpdir } from "node:os";
import { Redis } from "ioredis";
import { freePort } from "./free-port";
import { waitFor } from "./wait-for";

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server and waits for it to exit: SIGTERM by default, SIGKILL for a crash. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** Drops every key (a Redis that came back without its data). */
  flush(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Its working directory (a temp directory by default); nothing is written there. */
  dir?: string;
  /** The server's output goes to this file (discarded by default). */
  logFile?: string;
  /** Told of every server process started (e.g. to kill it if the test process dies). */
  onSpawn?: (child: ChildProcess) => void;
}

async function call<T>(url: string, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  c.on("error", () => undefined);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/**
 * A redis-server of this test's own on a free port, for tests that restart or kill Redis: the
 * shared one is never stopped. Needs /usr/bin/redis-server (or REDIS_SERVER_BIN).
 */
export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const out = opts.logFile ? openSync(opts.logFile, "a") : "ignore";
  let child: ChildProcess | undefined;
  const answers = () => call(url, async (c) => (await c.ping()) === "PONG").catch(() => false);
  const handle: PrivateRedis = {
    url,
    port,
    async start() {
      const bin = process.env.REDIS_SERVER_BIN ?? "/usr/bin/redis-server";
      // Nothing is persisted (no RDB, no AOF): a restart starts empty, as after a crash.
      child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        cwd: opts.dir ?? tmpdir(),
        stdio: ["ignore", out, out],
      });
      opts.onSpawn?.(child);
      await waitFor(answers, { what: `private redis-server on port ${port}` });
    },
    async stop(signal = "SIGTERM") {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill(signal);
      });
    },
    async flush() {
      await call(url, (c) => c.flushall());
    },
  };
  await handle.start();
  return handle;
}
