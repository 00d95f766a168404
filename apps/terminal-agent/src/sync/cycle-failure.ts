import { DatabaseUnavailableError, SyncStoppedError, UpgradeRequiredError, type TillsyncError } from "@tillsync/shared";
import type { CentralHold } from "./central-hold";
import { databaseWaitMs } from "./database-wait";
import type { StorageWatch } from "./storage-condition";

/** What a failed cycle means for the engine (sync-engine.ts), decided here once. */
export type CycleFailure =
  /** Central holds sync (423, 426): nothing counted, every change kept, the hold recorded. */
  | { kind: "held"; hold: Partial<Omit<CentralHold, "heardAt">> | undefined; retryAfterSeconds?: number }
  /** Central's database does not answer: wait what central said, not counted by the breaker. */
  | { kind: "database"; waitMs: number }
  /** The till's disk refused one of the agent's writes: try again soon, not counted. */
  | { kind: "storage" }
  /** Anything else: the breaker counts it; `offline` unless the error says retrying cannot help. */
  | { kind: "failed"; offline: boolean };

export function classifyCycleFailure(err: unknown, storage: StorageWatch): CycleFailure {
  if (err instanceof SyncStoppedError)
    return { kind: "held", hold: err.details, retryAfterSeconds: err.details?.retryAfterSeconds };
  // Not a failure: central is up and cannot serve this protocol. The hold says what to upgrade
  // until an answer succeeds.
  if (err instanceof UpgradeRequiredError)
    return {
      kind: "held",
      hold: { kind: "UPGRADE_REQUIRED", reason: err.message },
      retryAfterSeconds: err.details?.retryAfterSeconds,
    };
  // Central is up and said when to ask again: its database restarts or fails over. The breaker's
  // cool-down would outlast the database's return (G9), and the failure backoff's jitter after a
  // few quick failures can be half a minute.
  if (err instanceof DatabaseUnavailableError) return { kind: "database", waitMs: databaseWaitMs(err) };
  // Not central's fault: recorded by the watch, waited out without counting towards the breaker.
  if (storage.failed(err)) return { kind: "storage" };
  return { kind: "failed", offline: (err as TillsyncError).retryable !== false };
}
