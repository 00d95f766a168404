import type { Queue } from "bullmq";
import type { Alert } from "@tillsync/shared";

/** An alert as raised: central adds its id and time. */
export type AlertInput = Omit<Alert, "id" | "at" | "terminalId" | "details"> & {
  terminalId?: string | null;
  details?: Record<string, unknown>;
};

/**
 * Where central reports alerts. `raise` never waits for delivery and never throws: sync must
 * not slow down or fail because a webhook is slow or down. `once` raises only when no alert
 * with the same key was raised within `everyMs`, cluster-wide.
 */
export interface AlertSink {
  /** The queue deliveries go through, when they do (shown on bull-board beside the hub's). */
  readonly queue?: Queue;
  raise(alert: AlertInput): void;
  once(key: string, everyMs: number, alert: AlertInput): void;
}
