import type { ServerResponse } from "node:http";
import type { SyncRunResponse } from "@tillsync/shared";
import type { SyncRunStore } from "../store/sync-runs";
import { runView } from "./run-view";

/**
 * The run's view once it completed, or when `waitMs` has passed (still RUNNING), or at once
 * with `waitMs` 0. Reads PostgreSQL every `pollMs`: the ack that completes a run may reach any
 * instance. Stops early when the client goes away (the response closes). undefined: no such run.
 */
export async function waitForRun(
  runs: Pick<SyncRunStore, "get">,
  id: string,
  waitMs: number,
  pollMs: number,
  res: ServerResponse,
): Promise<SyncRunResponse | undefined> {
  const deadline = Date.now() + waitMs;
  let gone = false;
  const onClose = () => (gone = true);
  res.once("close", onClose);
  try {
    for (;;) {
      const run = await runs.get(id);
      if (!run || run.completedAt || gone || Date.now() >= deadline) return run && runView(run);
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    }
  } finally {
    res.off("close", onClose);
  }
}
