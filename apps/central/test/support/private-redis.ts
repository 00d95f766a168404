import { spawn, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";
import { Redis } from "ioredis";
import { freePort, waitFor } from "@tillsync/testkit";

export interface PrivateRedis {
  url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
}

/**
 * A redis-server of this test's own on a free port, for tests that restart Redis: the shared
 * one is never stopped. Needs /usr/bin/redis-server (or REDIS_SERVER_BIN).
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const answers = async () => {
    const c = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on("error", () => undefined);
    try {
      await c.connect();
      return (await c.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  };
  const handle: PrivateRedis = {
    url,
    async start() {
      const bin = process.env.REDIS_SERVER_BIN ?? "/usr/bin/redis-server";
      // Nothing is persisted (no RDB, no AOF): a restart starts empty, as after a crash.
      child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        cwd: tmpdir(),
        stdio: "ignore",
      });
      await waitFor(answers, { what: `private redis-server on port ${port}` });
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill("SIGTERM");
      });
    },
  };
  await handle.start();
  return handle;
}
