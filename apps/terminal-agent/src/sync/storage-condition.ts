import { statfsSync } from "node:fs";
import path from "node:path";
import type { StorageReport } from "@tillsync/shared";

/**
 * The till's disk as the agent sees it. `full` once one of its own writes failed for want of
 * space (SQLITE_FULL, an I/O error of the write itself, ENOSPC), until a later write succeeds.
 */
export type StorageCondition = { condition: "ok" } | { condition: "full"; since: string; error: string };

const STORAGE_CODES = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC"]);

/**
 * True when `err` is the storage refusing a write: the agent survives it and tries again,
 * whereas a bug must still surface. SQLite reports a full disk as SQLITE_FULL, or, when the
 * WAL or journal cannot grow, as an I/O error of the write.
 */
export function isStorageFailure(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === "string" && (STORAGE_CODES.has(e.code) || e.code.startsWith("SQLITE_IOERR"))) return true;
  return typeof e?.message === "string" && /database or disk is full|no space left on device/i.test(e.message);
}

/** Free bytes on the file system holding `file` (for non-root users), or null where unknown. */
export function freeBytesAt(file: string): number | null {
  try {
    const s = statfsSync(path.dirname(file));
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** The agent's own record of its storage: set by a failed write, cleared by the next good one. */
export class StorageWatch {
  private state: StorageCondition = { condition: "ok" };

  get current(): StorageCondition {
    return this.state;
  }

  /** A write failed; true when `err` was a storage failure (recorded), false for anything else. */
  failed(err: unknown, now = new Date()): boolean {
    if (!isStorageFailure(err)) return false;
    if (this.state.condition === "ok")
      this.state = { condition: "full", since: now.toISOString(), error: (err as Error).message };
    return true;
  }

  /** A write went through: the disk takes writes again. */
  succeeded(): void {
    this.state = { condition: "ok" };
  }
}

/** The wire form (heartbeat, `status --json`): the condition with the free space measured now. */
export function storageReport(c: StorageCondition, databaseFile: string): StorageReport {
  return c.condition === "ok"
    ? { condition: "ok", since: null, error: null, freeBytes: freeBytesAt(databaseFile) }
    : { condition: "full", since: c.since, error: c.error.slice(0, 2000), freeBytes: freeBytesAt(databaseFile) };
}

/** Below this much free space the disk counts as full for `status` (SQLite needs room for its WAL). */
export const STORAGE_FULL_BELOW_BYTES = 1024 * 1024;

/**
 * The condition `status` shows from its own process, which cannot see the daemon's memory:
 * measured on the database's file system (the daemon's own record travels in its heartbeat).
 */
export function measuredStorage(databaseFile: string): StorageReport {
  const freeBytes = freeBytesAt(databaseFile);
  return freeBytes !== null && freeBytes < STORAGE_FULL_BELOW_BYTES
    ? { condition: "full", since: null, error: `less than 1 MiB free on the disk of ${databaseFile}`, freeBytes }
    : { condition: "ok", since: null, error: null, freeBytes };
}
