import type { SyncStopDetails } from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import type { SqliteDb } from "../db/terminal-db";

/** sync_state key: what central last said holds this terminal's sync ("null" once it answers normally). */
const KEY = "central_stop";

/**
 * Central's emergency stop, its operator's pause of this terminal, or its 426 (it does not
 * serve this agent's protocol: `reason` says what to upgrade), as the agent last heard it.
 */
export interface CentralHold {
  kind: SyncStopDetails["kind"] | "UPGRADE_REQUIRED";
  reason: string | null;
  since: string | null;
  by: string | null;
  /** When the agent heard it (a 423 or 426, or sync:pause on the socket). */
  heardAt: string;
}

/**
 * The agent's record of a stop at central, apart from its own pause flag: a local `resume`
 * cannot lift it (central enforces it with 423), `status` shows both, and it is cleared by
 * central's sync:resume or the next answer that is not a 423.
 */
export class CentralHoldStore {
  private readonly kv: SyncStateStore;

  constructor(db: SqliteDb) {
    this.kv = new SyncStateStore(db);
  }

  get(): CentralHold | null {
    const raw = this.kv.get(KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as CentralHold | null;
    } catch {
      return null;
    }
  }

  set(d: Omit<CentralHold, "heardAt">): void {
    this.kv.set(KEY, JSON.stringify({ ...d, heardAt: new Date().toISOString() } satisfies CentralHold));
  }

  /** Clears it; writes nothing when nothing was held (cycles run often). */
  clear(): void {
    if (this.get()) this.kv.set(KEY, "null");
  }
}
