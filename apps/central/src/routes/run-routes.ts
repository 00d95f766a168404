import { Router, type Request, type Response } from "express";
import {
  NotFoundError,
  parseOrThrow,
  StateConflictError,
  syncAllRequestSchema,
  syncRunQuerySchema,
  ValidationError,
} from "@tillsync/shared";
import { OWNER_NAME } from "../auth/operator-auth";
import type { HubTunables } from "../config";
import type { Hub } from "../hub/hub";
import { waitForRun } from "../hub/run-wait";
import { route } from "../http/async-route";
import type { SyncRunStore } from "../store/sync-runs";
import type { TerminalQueries } from "../store/terminals";

export type RunRouteStore = {
  terminals: Pick<TerminalQueries, "statusOf">;
  runs: Pick<SyncRunStore, "get">;
};

/** How long slave-to-prod waits for its run when not told (the guide's 30 s timeout). */
const SLAVE_TO_PROD_WAIT_S = 30;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The terminals a sync/all request names: one (which must exist and not be disabled) or every active one. */
async function targets(store: RunRouteStore, terminalId: string | undefined): Promise<string[] | undefined> {
  if (!terminalId) return undefined;
  const status = await store.terminals.statusOf(terminalId);
  if (!status) throw new NotFoundError(`terminal ${terminalId} does not exist`);
  if (status === "DISABLED") throw new StateConflictError(`terminal ${terminalId} is disabled`);
  return [terminalId];
}

/** Starts the MANUAL run a sync/all body asks for; answers its id and the terminals triggered. */
export async function startManualRun(
  deps: { store: RunRouteStore; hub: Hub; tunables: HubTunables },
  req: Request,
): Promise<{ runId: string; triggered: string[] }> {
  const body = parseOrThrow(syncAllRequestSchema, req.body, "sync-all request");
  const runId = await deps.hub.runs.start({
    type: "MANUAL",
    syncType: "FULL",
    terminalIds: await targets(deps.store, body.terminalId),
    requestedBy: req.operator?.name ?? OWNER_NAME,
    retries: 0,
    attemptTimeoutS: deps.tunables.manualRunTimeoutS,
  });
  const run = await deps.store.runs.get(runId);
  return { runId, triggered: run?.terminals.map((t) => t.terminalId) ?? [] };
}

/** Answers a run's view, after waiting up to `waitS` for it to complete (202 while still running then). */
export async function sendRun(
  deps: { store: RunRouteStore; tunables: HubTunables },
  id: string,
  waitS: number,
  res: Response,
): Promise<void> {
  if (!UUID.test(id)) throw new ValidationError(`run id ${id} is not a UUID; POST /api/sync/all answers one as runId`);
  const view = await waitForRun(deps.store.runs, id, waitS * 1000, deps.tunables.runWaitPollMs, res);
  if (!view) throw new NotFoundError(`sync run ${id} does not exist (runs are kept HISTORY_RETENTION_DAYS)`);
  res.status(view.status === "RUNNING" && waitS > 0 ? 202 : 200).json(view);
}

/** `POST /api/sync/all` (starts a run) and `GET /api/sync/runs/:id[?wait=N]`. */
export function runRoutes(store: RunRouteStore, hub: Hub, tunables: HubTunables): Router {
  const r = Router();
  const deps = { store, hub, tunables };
  r.post(
    "/sync/all",
    route(async (req, res) => {
      const { runId, triggered } = await startManualRun(deps, req);
      res.status(202).json({ triggered, type: "FULL", reason: "MANUAL", runId });
    }),
  );
  // The slave-to-prod guide's call: a run, answered once it completed (default wait 30 s).
  r.post(
    "/background/sync/slave-to-prod",
    route(async (req, res) => {
      const q = parseOrThrow(syncRunQuerySchema, req.query, "slave-to-prod query");
      const empty =
        req.body === undefined || (typeof req.body === "object" && Object.keys(req.body ?? {}).length === 0);
      if (empty) req.body = { allTerminals: true };
      const { runId } = await startManualRun(deps, req);
      await sendRun(deps, runId, q.wait ?? SLAVE_TO_PROD_WAIT_S, res);
    }),
  );
  r.get(
    "/sync/runs/:id",
    route(async (req, res) => {
      const q = parseOrThrow(syncRunQuerySchema, req.query, "run query");
      await sendRun(deps, String(req.params.id), q.wait ?? 0, res);
    }),
  );
  return r;
}
