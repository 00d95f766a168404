import type { CompletedRun } from "../store/sync-runs";
import type { AlertInput } from "./alert-sink";

/** The alerts the hub raises, built in one place so their wording and details stay uniform. */

export function offlineAlert(t: { id: string; name: string }, timeoutS: number): AlertInput {
  return {
    type: "TERMINAL_OFFLINE",
    severity: "warning",
    terminalId: t.id,
    message: `terminal ${t.name} went OFFLINE: no heartbeat for ${timeoutS} s`,
    details: { name: t.name, timeoutS },
  };
}

export function backlogAlert(
  t: { id: string; name: string; pending: number; failed: number },
  limits: { pending: number; failed: number },
): AlertInput {
  return {
    type: "SYNC_BACKLOG",
    severity: "warning",
    terminalId: t.id,
    message: `terminal ${t.name} is falling behind: ${t.pending} pending, ${t.failed} failed (alerts above ${limits.pending} pending or ${limits.failed} failed)`,
    details: { name: t.name, pending: t.pending, failed: t.failed, ...{ limits } },
  };
}

/** A schedule's run that did not reach every terminal; undefined for any other run. */
export function scheduledRunAlert(run: CompletedRun): AlertInput | undefined {
  if (run.type !== "SCHEDULED" || run.outcome === "SUCCESS") return undefined;
  return {
    type: "SCHEDULED_RUN_FAILED",
    severity: run.outcome === "FAILED" ? "critical" : "warning",
    message: `scheduled sync run ${run.id} of schedule ${run.scheduleId} ended ${run.outcome}; GET /api/sync/runs/${run.id} has each terminal's error`,
    details: { runId: run.id, scheduleId: run.scheduleId, outcome: run.outcome },
  };
}

export function emergencyAlert(stopped: boolean, by: string, reason: string | null): AlertInput {
  return stopped
    ? {
        type: "EMERGENCY_STOP",
        severity: "critical",
        message: `emergency stop by ${by}: sync of every terminal stopped${reason ? ` (${reason})` : ""}`,
        details: { by, reason },
      }
    : {
        type: "EMERGENCY_RESUME",
        severity: "info",
        message: `emergency stop lifted by ${by}: terminals resume`,
        details: { by },
      };
}
