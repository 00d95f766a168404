import type { SyncRunResponse } from "@tillsync/shared";
import type { StoredRun } from "../store/sync-runs";

function message(run: StoredRun, acked: number, completed: number): string {
  const n = run.terminals.length;
  switch (run.status) {
    case "RUNNING":
      return `sync run in progress: ${completed} of ${n} terminal(s) done (attempt ${run.attempt} of ${run.retries + 1})`;
    case "SUCCESS":
      return n === 0 ? "no active terminal to sync" : `sync completed: ${n} terminal(s) acked`;
    case "PARTIAL":
      return `sync completed with errors: ${acked} of ${n} terminal(s) acked; see errors`;
    case "FAILED":
      return `sync failed: none of ${n} terminal(s) acked; see errors`;
  }
}

/** GET /api/sync/runs/:id's answer from the stored run. */
export function runView(run: StoredRun, now = new Date()): SyncRunResponse {
  const parts = run.terminals;
  const acked = parts.filter((p) => p.state === "ACKED").length;
  const failed = parts.filter((p) => p.state === "FAILED").length;
  // While running, a FAILED part may still be retried: only a completed run counts it as done.
  const completed = run.completedAt ? parts.length : acked;
  const pushed = parts.reduce((n, p) => n + p.pushed, 0);
  const pulled = parts.reduce((n, p) => n + p.pulled, 0);
  return {
    runId: run.id,
    type: run.type,
    syncType: run.syncType,
    scheduleId: run.scheduleId,
    requestedBy: run.requestedBy,
    status: run.status,
    success: run.status === "SUCCESS",
    message: message(run, acked, completed),
    timestamp: now.toISOString(),
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    attempt: run.attempt,
    retries: run.retries,
    attemptTimeoutS: run.attemptTimeoutS,
    terminals: { triggered: parts.length, acked, completed, failed },
    records: { pushed, pulled },
    errors: parts.flatMap((p) => (p.error ? [{ terminalId: p.terminalId, error: p.error }] : [])),
    results: parts,
    statistics: {
      total_records: pushed + pulled,
      records_pushed: pushed,
      records_pulled: pulled,
      terminals_triggered: parts.length,
      terminals_acked: acked,
      terminals_failed: failed,
      sync_started_at: run.startedAt,
      sync_completed_at: run.completedAt,
    },
  };
}
