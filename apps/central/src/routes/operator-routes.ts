import { Router } from "express";
import { z } from "zod";
import { createOperatorRequestSchema, NotFoundError, parseOrThrow, uuidSchema } from "@tillsync/shared";
import { generateOperatorToken } from "../auth/operator-tokens";
import { route } from "../http/async-route";
import type { OperatorStore } from "../store/operators";

const idParam = z.object({ id: uuidSchema });

export interface OperatorRouteDeps {
  store: { operators: Pick<OperatorStore, "create" | "list" | "revoke"> };
  /** Drops the revoked operator's /admin sockets on every instance. */
  onRevoked?: (operatorId: string) => void;
}

/** Named operators (admin; the action guard checks the role): list, create (token shown once), revoke. */
export function operatorRoutes(deps: OperatorRouteDeps): Router {
  const r = Router();
  const { operators } = deps.store;
  r.get(
    "/operators",
    route(async (_req, res) => {
      res.json({ operators: await operators.list() });
    }),
  );
  r.post(
    "/operators",
    route(async (req, res) => {
      const body = parseOrThrow(createOperatorRequestSchema, req.body, "operator");
      const { token, hash } = generateOperatorToken();
      const operator = await operators.create({ name: body.name, role: body.role, tokenHash: hash });
      res.status(201).json({ operator, token });
    }),
  );
  r.post(
    "/operators/:id/revoke",
    route(async (req, res) => {
      const { id } = parseOrThrow(idParam, req.params, "operator id");
      const operator = await operators.revoke(id);
      if (!operator) throw new NotFoundError(`operator ${id} does not exist; GET /api/operators lists them`);
      deps.onRevoked?.(id);
      res.json({ operator });
    }),
  );
  return r;
}
