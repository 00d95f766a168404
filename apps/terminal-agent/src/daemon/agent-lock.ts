import { closeSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";

/** How long a lock file may stay empty before it counts as left by a process that died. */
const HALF_WRITTEN_MS = 5_000;

/**
 * One process at a time pushes from a terminal database. The daemon holds the lock for its
 * life and a one-shot `sync` or `startup` for its run, so a command typed beside a running
 * daemon cannot send the batch the daemon is sending (central would answer DUPLICATE, but
 * the two processes would also race on the rows' outcome). A lock file beside the database
 * names its holder; one whose process is gone (a crash, a power cut) is taken over.
 */
export class AgentLockedError extends Error {
  constructor(
    readonly holder: LockHolder,
    file: string,
  ) {
    super(
      holder.command === "start"
        ? `the daemon (pid ${holder.pid}) is running on this database and syncs it itself; nothing was sent. ` +
            "Its next cycle sends these changes (POST /sync on AGENT_HTTP_PORT runs one now)"
        : `another \`tillsync-agent ${holder.command}\` (pid ${holder.pid}) is syncing this database; try again when it ends (${file})`,
    );
  }
}

export interface LockHolder {
  pid: number;
  command: string;
  since: string;
}

export interface AgentLock {
  release(): void;
}

/**
 * Whether the holder still runs. A pid the kernel reused for another program since the holder
 * died (a long-lived till) must not lock the agent out: where /proc shows the command line, it
 * has to be an agent's.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, under another user.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return true; // no /proc (macOS) or not ours to read: trust the pid
  }
  return /tillsync-agent|terminal-agent/.test(cmdline);
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LockHolder;
  } catch {
    return undefined; // half-written by a process that died, or removed meanwhile
  }
}

export function lockFileOf(databasePath: string): string {
  return `${databasePath}.lock`;
}

/** Takes the database's sync lock for `command`, or throws AgentLockedError naming the holder. */
export function acquireAgentLock(databasePath: string, command: string): AgentLock {
  const file = lockFileOf(databasePath);
  const me: LockHolder = { pid: process.pid, command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      const release = () => {
        if (readHolder(file)?.pid === process.pid) unlinkSync(file);
        process.removeListener("exit", release);
      };
      process.once("exit", release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readHolder(file);
      // An empty file is another process between creating and writing it, unless it is old.
      if (!holder && Date.now() - statSync(file).mtimeMs < HALF_WRITTEN_MS)
        throw new AgentLockedError({ pid: 0, command: "start", since: "" }, file);
      if (holder && alive(holder.pid) && holder.pid !== process.pid) throw new AgentLockedError(holder, file);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new AgentLockedError(readHolder(file) ?? { pid: 0, command: "unknown", since: "" }, file);
}
