import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { NotFoundError, parseOrThrow, uuidSchema, type TerminalDetailResponse } from "@tillsync/shared";
import type { HubTunables } from "../config";
import { route } from "../http/async-route";
import type { Hub } from "../hub/hub";
import { toTerminalHealth } from "../hub/terminal-health";
import type { ChangeFeedStore } from "../store/change-feed";
import type { StoreRegistry } from "../store/stores";
import type { SyncHistoryStore } from "../store/sync-history";
import type { TerminalAdmin, TerminalQueries } from "../store/terminals";

const idParam = z.object({ id: uuidSchema });

export interface TerminalRouteDeps {
  store: {
    terminals: Pick<TerminalQueries, "list"> & Pick<TerminalAdmin, "enable" | "revokeKeys">;
    stores: Pick<StoreRegistry, "list">;
    feed: Pick<ChangeFeedStore, "top">;
    history: Pick<SyncHistoryStore, "recent">;
  };
  hub?: Pick<Hub, "disconnectTerminal" | "emergencyState">;
  tunables: Pick<HubTunables, "lagCap" | "backlogAlertFailed" | "delayedAfterMs">;
}

type Handler = (req: Request, res: Response) => Promise<void>;

/**
 * The fleet as the console reads it (list with feed head and emergency state, one terminal's
 * detail, the stores) and the key and state actions beside create/rotate/disable
 * (provisioning-routes.ts). `:id` is a UUID; a terminal's code was turned into it already.
 */
export function terminalRoutes(deps: TerminalRouteDeps): Router {
  const r = Router();
  r.get("/terminals", route(listTerminals(deps)));
  r.get("/terminals/:id", route(terminalDetail(deps)));
  r.post("/terminals/:id/enable", route(enableTerminal(deps)));
  r.post("/terminals/:id/revoke-key", route(revokeKey(deps)));
  r.get(
    "/stores",
    route(async (_req, res) => {
      res.json({ stores: await deps.store.stores.list() });
    }),
  );
  return r;
}

const NOT_STOPPED = { stopped: false, since: null, reason: null };

function listTerminals({ store, hub, tunables }: TerminalRouteDeps): Handler {
  return async (_req, res) => {
    const [terminals, emergency, feedHead] = await Promise.all([
      store.terminals.list(tunables.lagCap),
      hub?.emergencyState() ?? NOT_STOPPED,
      store.feed.top(),
    ]);
    res.json({
      terminals: terminals.map((t) => toTerminalHealth(t, emergency.stopped, tunables)),
      feedHead,
      emergency,
      generatedAt: new Date().toISOString(),
    });
  };
}

function terminalDetail({ store, hub, tunables }: TerminalRouteDeps): Handler {
  return async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, "terminal id");
    const [rows, emergency] = await Promise.all([store.terminals.list(tunables.lagCap, id), hub?.emergencyState()]);
    const t = rows[0];
    if (!t) throw new NotFoundError(`terminal ${id} does not exist`);
    const body: TerminalDetailResponse = {
      terminal: toTerminalHealth(t, emergency?.stopped ?? false, tunables),
      tables: t.heartbeat?.outbox ?? {},
      history: await store.history.recent(id, 50),
      failedChanges: t.heartbeat?.failedChanges ?? [],
    };
    res.json(body);
  };
}

function enableTerminal({ store }: TerminalRouteDeps): Handler {
  return async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, "terminal id");
    const status = await store.terminals.enable(id);
    res.json({ terminalId: id, status });
  };
}

function revokeKey({ store, hub }: TerminalRouteDeps): Handler {
  return async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, "terminal id");
    const status = await store.terminals.revokeKeys(id);
    // Its sockets go now; without a key it cannot come back until one is rotated in.
    await hub?.disconnectTerminal(id);
    res.json({ terminalId: id, status });
  };
}
