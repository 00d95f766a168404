import { spawn } from "node:child_process";
import path from "node:path";
import { sourceArgs } from "@tillsync/testkit";

const BIN = path.join(__dirname, "..", "..", "src", "bin.ts");

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs `tillsync-central <args>` from the sources in a child process with only PATH and `env`
 * set (so nothing of the test's own environment leaks in). Asynchronous: a test's central keeps
 * serving while the command runs.
 */
export function centralCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...sourceArgs(BIN), ...args], {
      env: { PATH: process.env.PATH, LOG_LEVEL: "silent", ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out, err }));
  });
}
