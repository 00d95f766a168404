import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { acquireAgentLock, AgentLockedError, lockFileOf } from "../src/daemon/agent-lock";

/** The sync lock beside the database: one pushing process at a time, stale locks taken over. */
describe("agent sync lock", () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-lock-"));
    db = path.join(dir, "terminal.db");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A pid that existed and is gone: a child that already exited. */
  const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;

  it("is held while taken and gone once released", () => {
    const lock = acquireAgentLock(db, "sync");
    expect(existsSync(lockFileOf(db))).toBe(true);
    lock.release();
    expect(existsSync(lockFileOf(db))).toBe(false);
    acquireAgentLock(db, "sync").release();
  });

  /** A live process whose command line is an agent's (its script path names the package). */
  function agentLike() {
    const child = spawn(process.execPath, [
      "-e",
      "setInterval(() => {}, 1000)",
      "apps/terminal-agent/bin/tillsync-agent.js",
    ]);
    children.push(child);
    return child.pid!;
  }
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill("SIGKILL")));

  it("refuses while a live agent process holds it, naming the holder", () => {
    const pid = agentLike();
    writeFileSync(lockFileOf(db), JSON.stringify({ pid, command: "start", since: "2026-12-01T00:00:00Z" }));
    expect(() => acquireAgentLock(db, "sync")).toThrow(AgentLockedError);
    expect(() => acquireAgentLock(db, "sync")).toThrow(
      new RegExp(`^the daemon \\(pid ${pid}\\) is running on this database`),
    );
    writeFileSync(lockFileOf(db), JSON.stringify({ pid, command: "startup", since: "" }));
    expect(() => acquireAgentLock(db, "sync")).toThrow(
      new RegExp(`another \`tillsync-agent startup\` \\(pid ${pid}\\) is syncing`),
    );
  });

  it("takes over a lock whose pid now belongs to another program (the kernel reused it)", () => {
    // pid 1 is alive, and it is not an agent.
    writeFileSync(lockFileOf(db), JSON.stringify({ pid: 1, command: "start", since: "" }));
    acquireAgentLock(db, "sync").release();
  });

  it("takes over a lock whose process died (a crash or a power cut)", () => {
    writeFileSync(lockFileOf(db), JSON.stringify({ pid: deadPid(), command: "start", since: "" }));
    const lock = acquireAgentLock(db, "sync");
    lock.release();
    expect(existsSync(lockFileOf(db))).toBe(false);
  });

  it("treats a fresh empty lock file as another process starting, an old one as stale", () => {
    writeFileSync(lockFileOf(db), "");
    expect(() => acquireAgentLock(db, "sync")).toThrow(AgentLockedError);
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lockFileOf(db), minuteAgo, minuteAgo);
    acquireAgentLock(db, "sync").release();
  });

  it("does not remove a lock that another process took over meanwhile", () => {
    const lock = acquireAgentLock(db, "sync");
    writeFileSync(lockFileOf(db), JSON.stringify({ pid: agentLike(), command: "start", since: "" }));
    lock.release();
    expect(existsSync(lockFileOf(db))).toBe(true);
  });
});
