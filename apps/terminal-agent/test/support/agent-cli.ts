import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { sourceArgs } from "@tillsync/testkit";
import type { AgentConfig } from "../../src/config";

/** The CLI from its TypeScript sources, as `npm run agent` runs it. */
export const CLI_ARGS = sourceArgs(path.resolve(__dirname, "../../src/bin.ts"));

/** The agent's variables as a child process sees them; CENTRAL_* left out for local commands. */
export function envOf(config: Partial<AgentConfig>, opts: { local?: boolean } = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_OPTIONS: process.env.NODE_OPTIONS,
  };
  for (const [k, v] of Object.entries(config)) {
    if (!/^[A-Z_]+$/.test(k) || v === undefined) continue;
    if (opts.local && k.startsWith("CENTRAL_")) continue;
    env[k] = String(v);
  }
  return env;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command to completion in its own process, as an operator would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_ARGS, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A CLI process left running (the daemon, or a recovery to be killed halfway). */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [...CLI_ARGS, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr!.on("data", (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) => this.child.on("close", (code, signal) => resolve({ code, signal })));
  }

  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }
}
