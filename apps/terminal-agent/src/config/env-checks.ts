import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "@tillsync/shared";

/**
 * The checks on the agent's environment that a zod schema cannot express: the key file's
 * permissions, plain http to a remote central, where a relative database path lands, and
 * misspelt variable names.
 */

/**
 * Reads the terminal key from CENTRAL_API_KEY_FILE. The file holds a secret that lets anyone
 * push as this till, so one that every user on the machine can read is refused, naming it.
 */
export function readKeyFile(file: string): string {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    throw new ConfigError(`CENTRAL_API_KEY_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  if (mode & 0o004)
    throw new ConfigError(
      `CENTRAL_API_KEY_FILE: ${file} is readable by every user on this machine; run \`chmod 600 ${file}\``,
    );
  const key = readFileSync(file, "utf8").trim();
  if (!key) throw new ConfigError(`CENTRAL_API_KEY_FILE: ${file} is empty`);
  return key;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The key travels in a header on every request: over plain http it is readable by anyone on
 * the path, so http is accepted only to this machine unless the operator says otherwise.
 */
export function checkTransportSecurity(url: string, allowInsecure: boolean): void {
  const u = new URL(url);
  if (u.protocol === "http:" && !LOOPBACK.test(u.hostname) && !allowInsecure)
    throw new ConfigError(
      `CENTRAL_API_URL: ${u.origin} is plain http to another machine, which sends the terminal key in clear; ` +
        "use https://, or set ALLOW_INSECURE_HTTP=true on a network you trust",
    );
}

/**
 * The one rule for a relative TERMINAL_DATABASE_URL: it is relative to the directory the
 * command was started from. npm runs scripts in the package's folder and keeps the caller's
 * directory in INIT_CWD, so `npm run agent` and a plain `tillsync-agent` (or systemd's
 * WorkingDirectory) put the file in the same place.
 */
export function resolveDatabasePath(url: string, env: NodeJS.ProcessEnv): string {
  const file = url.replace(/^file:/, "");
  if (file === ":memory:") return file;
  return path.resolve(env.INIT_CWD || process.cwd(), file);
}

/** Names the agent reads, beyond the ones in its schema: the prefixes unknown names are checked under. */
const CHECKED_PREFIX = /^(SYNC|CENTRAL|TERMINAL)_/;

export interface UnknownVariable {
  name: string;
  closest: string;
}

/** SYNC_*, CENTRAL_* and TERMINAL_* variables the agent does not know, each with the closest known name. */
export function unknownVariables(env: NodeJS.ProcessEnv, known: readonly string[]): UnknownVariable[] {
  const candidates = known.filter((k) => CHECKED_PREFIX.test(k));
  return Object.keys(env)
    .filter((name) => CHECKED_PREFIX.test(name) && !known.includes(name))
    .sort()
    .map((name) => ({ name, closest: closestOf(name, candidates) }));
}

function closestOf(name: string, candidates: string[]): string {
  let best = candidates[0] ?? "";
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** Levenshtein distance: one row at a time, the names are short. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
