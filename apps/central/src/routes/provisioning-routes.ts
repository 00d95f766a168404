import { Router, type Request, type Response } from "express";
import { z } from "zod";
import {
  createStoreRequestSchema,
  createTerminalRequestSchema,
  NotFoundError,
  parseOrThrow,
  uuidSchema,
} from "@tillsync/shared";
import { generateTerminalKey } from "../auth/terminal-keys";
import type { HubTunables } from "../config";
import { route } from "../http/async-route";
import type { Hub } from "../hub/hub";
import { toTerminalHealth } from "../hub/terminal-health";
import type { StoreRegistry } from "../store/stores";
import type { TerminalAdmin, TerminalQueries } from "../store/terminals";

const idParam = z.object({ id: uuidSchema });

export interface ProvisioningDeps {
  store: { stores: StoreRegistry; terminals: TerminalAdmin & Pick<TerminalQueries, "list"> };
  /** Disconnects the sockets of a terminal whose key is rotated or that is disabled. */
  hub?: Pick<Hub, "disconnectTerminal" | "emergencyState">;
  tunables: Pick<HubTunables, "lagCap" | "backlogAlertFailed" | "delayedAfterMs">;
}

/** Bootstrapping (SPEC §6): stores, terminals and their keys; mounted behind adminAuth. */
export function provisioningRoutes(deps: ProvisioningDeps): Router {
  const r = Router();
  r.post("/stores", route(createStore(deps)));
  r.post("/terminals", route(createTerminal(deps)));
  r.get("/terminals", route(listTerminals(deps)));
  r.post("/terminals/:id/rotate-key", route(rotateKey(deps)));
  r.post("/terminals/:id/disable", route(disableTerminal(deps)));
  return r;
}

type Handler = (req: Request, res: Response) => Promise<void>;

function createStore({ store }: ProvisioningDeps): Handler {
  return async (req, res) => {
    const body = parseOrThrow(createStoreRequestSchema, req.body, "store");
    res.status(201).json({ store: await store.stores.create(body) });
  };
}

function createTerminal({ store }: ProvisioningDeps): Handler {
  return async (req, res) => {
    const body = parseOrThrow(createTerminalRequestSchema, req.body, "terminal");
    if (!(await store.stores.exists(body.storeId)))
      throw new NotFoundError(`store ${body.storeId} does not exist; create it with POST /api/stores first`);
    const { key, hash, prefix } = generateTerminalKey();
    const terminal = await store.terminals.create(body, { hash, prefix });
    res.status(201).json({ terminal, key });
  };
}

function listTerminals({ store, hub, tunables }: ProvisioningDeps): Handler {
  return async (_req, res) => {
    const terminals = await store.terminals.list(tunables.lagCap);
    const emergencyStop = (await hub?.emergencyState())?.stopped ?? false;
    res.json({ terminals: terminals.map((t) => toTerminalHealth(t, emergencyStop, tunables)) });
  };
}

function rotateKey({ store, hub }: ProvisioningDeps): Handler {
  return async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, "terminal id");
    const { key, hash, prefix } = generateTerminalKey();
    await store.terminals.rotateKey(id, { hash, prefix });
    // Sockets authenticated with the old key go now; they cannot reconnect with it.
    await hub?.disconnectTerminal(id);
    res.json({ terminalId: id, key });
  };
}

function disableTerminal({ store, hub }: ProvisioningDeps): Handler {
  return async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, "terminal id");
    await store.terminals.disable(id);
    await hub?.disconnectTerminal(id, { forgetTriggers: true });
    res.json({ terminalId: id, status: "DISABLED" });
  };
}
