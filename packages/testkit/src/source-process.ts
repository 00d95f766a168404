import { spawn } from "node:child_process";

/**
 * Node arguments that run a workspace's TypeScript sources in a child process: tsx for the
 * syntax, and the `@tillsync/source` export condition so workspaces resolve to `src/` rather
 * than to a `dist/` that may be stale or not built. `--import tsx` keeps it one process (the
 * tsx CLI would add a wrapper that signals do not reach directly).
 */
export const SOURCE_NODE_ARGS: readonly string[] = ["--conditions=@tillsync/source", "--import", "tsx"];

/** `[...SOURCE_NODE_ARGS, file]`: spawn(process.execPath, sourceArgs(file)). */
export function sourceArgs(file: string): string[] {
  return [...SOURCE_NODE_ARGS, file];
}

/** What a finished child printed and how it ended. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a TypeScript entry point to its end in a child node process (`sourceArgs`), collecting
 * its output; `onStdout` sees the output so far as it arrives (to wait for a line mid-run).
 */
export function runSource(
  file: string,
  args: string[] = [],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; onStdout?: (soFar: string) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...sourceArgs(file), ...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      opts.onStdout?.(stdout);
    });
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
