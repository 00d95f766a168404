import type { NextFunction, Request, RequestHandler, Response } from "express";
import { UnauthorizedError, type OperatorRole } from "@tillsync/shared";
import type { TerminalIdentity, TerminalQueries } from "../store/terminals";
import { hashTerminalKey } from "./terminal-keys";

/** The terminal a request authenticated as. Set by `terminalAuth`. */
export type AuthedTerminal = TerminalIdentity;

/** What authentication reads: terminals by key hash. */
export type KeyLookup = Pick<TerminalQueries, "findByKeyHash">;

declare module "express-serve-static-core" {
  interface Request {
    terminal?: AuthedTerminal;
    /** The operator an admin request acts as (set by operatorAuth; the owner for ADMIN_TOKEN). */
    operator?: { id: string | null; name: string; role: OperatorRole };
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return m?.[1]?.trim();
}

/** Looks a key up; undefined when it is unknown, revoked (rotated out) or its terminal disabled. */
export function findTerminalByKey(terminals: KeyLookup, key: string): Promise<AuthedTerminal | undefined> {
  return terminals.findByKeyHash(hashTerminalKey(key));
}

export function terminalAuth(terminals: KeyLookup): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const key = bearerToken(req.headers.authorization);
    if (!key) return next(new UnauthorizedError("send the terminal key as 'Authorization: Bearer <key>'"));
    findTerminalByKey(terminals, key).then((t) => {
      if (!t)
        return next(
          new UnauthorizedError("terminal key is unknown, revoked or its terminal is disabled; ask for a current key"),
        );
      req.terminal = t;
      next();
    }, next);
  };
}
