import { spawn, type ChildProcess } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import path from "node:path";
import { sourceArgs } from "@tillsync/testkit";
import { track } from "./children";
import { ROOT, waitUntil } from "./util";

export interface CentralEnv {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  adminToken: string;
  port: number;
  /** Extra variables (HEARTBEAT_TIMEOUT_S...). */
  extra?: Record<string, string>;
}

/** How one boot of central went, read from its log (pino JSON lines). */
export interface BootRecord {
  startedAt: number;
  /** The hub's decision: "first" (SERVER_RESTART follows), "joined" (none), or null if never logged. */
  cluster: "first" | "joined" | null;
}

/**
 * Central as a child process running its TypeScript sources (`sourceArgs`, as the benches do:
 * no build needed, the same code `npm run central` runs once built). Restarts keep the port, so
 * the proxies in front of it keep their target. Its log is one file per run, boots appended.
 */
export class CentralProcess {
  private child: ChildProcess | null = null;
  private bootOffsets: Array<{ startedAt: number; offset: number }> = [];
  readonly logFile: string;

  constructor(
    private readonly env: CentralEnv,
    dir: string,
  ) {
    this.logFile = path.join(dir, "central.log");
  }

  get url(): string {
    return `http://127.0.0.1:${this.env.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns it; does not wait (a boot can be killed half-way). */
  spawn(): void {
    const fd = openSync(this.logFile, "a");
    this.bootOffsets.push({ startedAt: Date.now(), offset: this.logSize() });
    this.child = track(
      spawn(process.execPath, sourceArgs(path.join(ROOT, "apps/central/src/bin.ts")), {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: this.env.databaseUrl,
          REDIS_URL: this.env.redisUrl,
          REDIS_PREFIX: this.env.redisPrefix,
          PORT: String(this.env.port),
          ADMIN_TOKEN: this.env.adminToken,
          LOG_LEVEL: "info",
          DEFAULT_SCHEDULE: "off",
          ...this.env.extra,
        },
        stdio: ["ignore", fd, fd],
      }),
    );
  }

  async start(timeoutMs = 60_000): Promise<number> {
    this.spawn();
    return this.waitReady(timeoutMs);
  }

  waitReady(timeoutMs = 60_000): Promise<number> {
    return waitUntil(
      async () => {
        if (!this.running) throw new Error("central exited");
        return (await fetch(`${this.url}/health`)).ok;
      },
      timeoutMs,
      "central /health",
      50,
    );
  }

  /** SIGKILL: no shutdown hook runs, as on a power cut or an OOM kill. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Every boot so far with the hub's cluster decision, from the log. */
  boots(): BootRecord[] {
    const log = this.readLog();
    return this.bootOffsets.map((b, i) => {
      const end = this.bootOffsets[i + 1]?.offset ?? log.length;
      const part = log.subarray(b.offset, end).toString("utf8");
      const cluster = part.includes("first instance of the cluster")
        ? "first"
        : part.includes("joined a running cluster")
          ? "joined"
          : null;
      return { startedAt: b.startedAt, cluster };
    });
  }

  private readLog(): Buffer {
    try {
      return readFileSync(this.logFile);
    } catch {
      return Buffer.alloc(0);
    }
  }

  private logSize(): number {
    return this.readLog().length;
  }
}
