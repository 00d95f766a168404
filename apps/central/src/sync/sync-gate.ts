import { SyncStoppedError, type SyncStopDetails } from "@tillsync/shared";
import type { SyncHold } from "../store/sync-control";

/**
 * The enforcement of an emergency stop or an operator's pause (SPEC §4): while one is in force
 * for a terminal, its push and pull answer 423 SYNC_STOPPED (retryable, with the operator's
 * reason) and nothing is applied or served. Socket sync:pause is only the fast path.
 */
export function assertSyncAllowed(terminalId: string, hold: SyncHold, retryAfterSeconds: number): void {
  const details = stopDetails(hold, retryAfterSeconds);
  if (!details) return;
  const who = [details.since && `since ${details.since}`, details.by && `by ${details.by}`].filter(Boolean).join(" ");
  const why = details.reason ? `: ${details.reason}` : "";
  const what =
    details.kind === "EMERGENCY_STOP"
      ? `sync is stopped at central (emergency stop${who ? ` ${who}` : ""})${why}`
      : `sync of terminal ${terminalId} is paused at central${who ? ` ${who}` : ""}${why}`;
  throw new SyncStoppedError(
    `${what}; nothing was applied or sent: keep every change in the outbox and retry in ${retryAfterSeconds} s`,
    details,
  );
}

/** What holds the terminal, as the 423's details and the socket's sync:pause say it; undefined when nothing does. */
export function stopDetails(hold: SyncHold, retryAfterSeconds: number): SyncStopDetails | undefined {
  if (hold.emergency.stopped)
    return {
      kind: "EMERGENCY_STOP",
      reason: hold.emergency.reason,
      since: hold.emergency.since,
      by: hold.emergency.by ?? null,
      retryAfterSeconds,
    };
  if (hold.pause) return { kind: "TERMINAL_PAUSED", ...hold.pause, retryAfterSeconds };
  return undefined;
}
