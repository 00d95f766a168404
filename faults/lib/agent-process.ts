import { spawn, type ChildProcess } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import path from "node:path";
import { sourceArgs } from "@tillsync/testkit";
import { track } from "./children";
import { ROOT, rssMb } from "./util";

export interface AgentEnv {
  centralUrl: string;
  key: string;
  terminalId: string;
  databaseFile: string;
  /** Agent variables on top of the suite's defaults (SYNC_INTERVAL...). */
  extra?: Record<string, string>;
  /** Variables for the process only (LD_PRELOAD/FAKETIME for a skewed clock). */
  processEnv?: Record<string, string>;
}

/**
 * The suite's agent settings. SYNC_INTERVAL is short so that the periodic safety net is not what
 * a scenario measures for minutes; the breaker and backoff keep the product's defaults, because
 * how fast a till comes back after a fault is what G9 promises (issue 11, defect 4).
 */
export const AGENT_SUITE_ENV: Record<string, string> = {
  SYNC_INTERVAL: "5",
  SYNC_TIMEOUT: "10",
  HEARTBEAT_INTERVAL_MS: "2000",
  ALLOW_INSECURE_HTTP: "true",
  LOG_LEVEL: "info",
};

/** The terminal agent (`tillsync-agent`) as a child process, from its TypeScript sources. */
export class AgentProcess {
  private child: ChildProcess | null = null;
  private peakRss = 0;
  private sampler: NodeJS.Timeout | null = null;
  readonly logFile: string;
  /** Times the daemon exited without being told to (a crash the scenario did not cause). */
  unexpectedExits = 0;

  constructor(
    readonly env: AgentEnv,
    dir: string,
    readonly name: string,
  ) {
    this.logFile = path.join(dir, `${name}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Highest RSS sampled (every 250 ms) since the suite started this agent, in MB. */
  get peakRssMb(): number {
    return this.peakRss;
  }

  private variables(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      CENTRAL_API_URL: this.env.centralUrl,
      CENTRAL_API_KEY: this.env.key,
      TERMINAL_ID: this.env.terminalId,
      TERMINAL_DATABASE_URL: `file:${this.env.databaseFile}`,
      ...AGENT_SUITE_ENV,
      ...this.env.extra,
      ...this.env.processEnv,
    };
  }

  private spawnCli(args: string[]): ChildProcess {
    const fd = openSync(this.logFile, "a");
    return track(
      spawn(process.execPath, [...sourceArgs(path.join(ROOT, "apps/terminal-agent/src/bin.ts")), ...args], {
        cwd: ROOT,
        env: this.variables(),
        stdio: ["ignore", fd, fd],
      }),
    );
  }

  /** `tillsync-agent start`: the daemon. */
  start(): void {
    const child = this.spawnCli(["start"]);
    this.child = child;
    child.once("exit", () => {
      if (this.child === child && !this.stopping) this.unexpectedExits++;
    });
    if (!this.sampler) {
      this.sampler = setInterval(() => (this.peakRss = Math.max(this.peakRss, rssMb(this.child?.pid))), 250);
      this.sampler.unref();
    }
  }

  private stopping = false;

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    this.stopping = true;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill(signal);
    await exited;
    this.stopping = false;
  }

  /** SIGTERM (the daemon finishes its batch), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const timer = setTimeout(() => this.child?.kill("SIGKILL"), 15_000);
    await this.kill("SIGTERM");
    clearTimeout(timer);
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = null;
  }

  /**
   * Runs one CLI command (`startup --force`...) in its own process; `killAfter` resolves to a
   * moment at which it is SIGKILLed. Resolves with the exit code (null when killed).
   */
  async run(args: string[], killAt?: Promise<unknown>): Promise<number | null> {
    const child = this.spawnCli(args);
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    if (killAt) void killAt.then(() => child.kill("SIGKILL"));
    return exited;
  }

  /** Runs one CLI command and returns its exit code and standard output (`status --json`...). */
  capture(args: string[]): Promise<{ code: number | null; stdout: string }> {
    const child = track(
      spawn(process.execPath, [...sourceArgs(path.join(ROOT, "apps/terminal-agent/src/bin.ts")), ...args], {
        cwd: ROOT,
        env: this.variables(),
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stdout += d.toString()));
    return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout })));
  }

  log(): string {
    try {
      return readFileSync(this.logFile, "utf8");
    } catch {
      return "";
    }
  }
}
