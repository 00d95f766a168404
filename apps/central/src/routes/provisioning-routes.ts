import { Router, type Request, type Response } from "express";
import { z } from "zod";
import {
  createStoreRequestSchema,
  createTerminalRequestSchema,
  NotFoundError,
  parseOrThrow,
  rotateKeyRequestSchema,
  uuidSchema,
  ValidationError,
} from "@tillsync/shared";
import { generateTerminalKey } from "../auth/terminal-keys";
import { route } from "../http/async-route";
import type { Hub } from "../hub/hub";
import type { StoreRegistry } from "../store/stores";
import type { TerminalAdmin } from "../store/terminals";

const idParam = z.object({ id: uuidSchema });

export interface ProvisioningDeps {
  store: { stores: StoreRegistry; terminals: TerminalAdmin };
  /** Disconnects the sockets of a terminal whose key is rotated or that is disabled. */
  hub?: Pick<Hub, "disconnectTerminal" | "expireKeys">;
}

/** Bootstrapping (SPEC §6): stores, terminals and their keys; behind operatorAuth and the action guard. */
export function provisioningRoutes(deps: ProvisioningDeps): Router {
  const r = Router();
  r.post("/stores", route(createStore(deps)));
  r.post("/terminals", route(createTerminal(deps)));
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
    // A code is accepted wherever an id is, so it must never read as one.
    if (body.code && uuidSchema.safeParse(body.code).success)
      throw new ValidationError("invalid terminal: code: must not look like a UUID (it is accepted wherever an id is)");
    if (!(await store.stores.exists(body.storeId)))
      throw new NotFoundError(`store ${body.storeId} does not exist; create it with POST /api/stores first`);
    const { key, hash, prefix } = generateTerminalKey();
    const terminal = await store.terminals.create(body, { hash, prefix });
    res.status(201).json({ terminal, key });
  };
}

function rotateKey({ store, hub }: ProvisioningDeps): Handler {
  return async (req, res) => {
    const { id } = parseOrThrow(idParam, req.params, "terminal id");
    const { graceSeconds } = parseOrThrow(rotateKeyRequestSchema, req.body ?? {}, "rotate-key request");
    const { key, hash, prefix } = generateTerminalKey();
    const rotated = await store.terminals.rotateKey(id, { hash, prefix }, graceSeconds);
    // Sockets authenticated with an old key go when it stops working (now, or after the
    // grace period, by a delayed job any instance runs); they cannot reconnect with it.
    if (rotated.previousKeyValidUntil) await hub?.expireKeys(rotated.previousKeyIds, rotated.previousKeyValidUntil);
    else await hub?.disconnectTerminal(id);
    res.json({ terminalId: id, key, previousKeyValidUntil: rotated.previousKeyValidUntil?.toISOString() ?? null });
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
