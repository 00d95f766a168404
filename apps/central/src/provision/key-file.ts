import { chownSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/** A key file that already holds a key (a second `docker compose up` keeps it). */
export function readKeyFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const key = readFileSync(file, "utf8").trim();
  return key.length > 0 ? key : undefined;
}

/**
 * Writes a terminal key so that only the agent's user can read it (mode 0600, owned by
 * `owner`): the agent refuses a key file others can read. Written beside and renamed into
 * place, so an agent waiting for the file never reads half of it.
 */
export function writeKeyFile(file: string, key: string, owner?: { uid: number; gid: number }): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${key}\n`, { mode: 0o600 });
  if (owner) chownSync(tmp, owner.uid, owner.gid);
  renameSync(tmp, file);
}
