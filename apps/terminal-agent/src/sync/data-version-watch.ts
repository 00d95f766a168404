import type { SqliteDb } from "../db/terminal-db";

/**
 * Whether another connection committed to the till's file (the till, or the CLI's pause, resume
 * or retry-failed): `PRAGMA data_version` changes then, so a poll costs one read of a counter.
 * Two marks: one read while a cycle runs, one between cycles, so a row committed mid-cycle is
 * still noticed by the first poll after the cycle.
 */
export class DataVersionWatch {
  private betweenCycles = -1;
  private midCycle = -1;

  constructor(private readonly db: SqliteDb) {}

  /** True when a commit happened since the last call with the same `duringCycle`. */
  changed(duringCycle: boolean): boolean {
    const v = this.db.pragma("data_version", { simple: true }) as number;
    const last = duringCycle ? this.midCycle : this.betweenCycles;
    if (v === last) return false;
    if (duringCycle) this.midCycle = v;
    else this.betweenCycles = v;
    return true;
  }
}
