import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { sourceArgs, waitFor } from "@tillsync/testkit";

const BIN = path.join(__dirname, "..", "..", "src", "bin.ts");

/** One `tillsync-central serve` child process; its JSON log lines are kept for the test to read. */
export interface CentralProcess {
  port: number;
  url: string;
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** The instance is gone: SIGKILL, no cleanup of any kind (its presence stays in Redis). */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit (a graceful leave). */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Starts central as a real process (its sources through tsx) with the given environment; port 0
 * unless `PORT` is set. Resolves once it listens.
 */
export async function spawnCentral(env: Record<string, string>): Promise<CentralProcess> {
  const child = spawn(process.execPath, [...sourceArgs(BIN), "serve"], {
    env: { PATH: process.env.PATH, PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  let pending = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const listening = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`central exited ${child.exitCode}: ${stderr}`);
      return logs.find((l) => typeof l.port === "number" && String(l.msg).includes("listening"));
    },
    { what: "central process listening", timeoutMs: 60_000 },
  );
  const port = listening.port as number;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    logs,
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    async stop() {
      child.kill("SIGTERM");
      await exited(child);
    },
  };
}
