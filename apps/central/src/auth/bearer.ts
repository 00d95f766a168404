import type { NextFunction, Request, RequestHandler, Response } from "express";
import { UnauthorizedError, type OperatorRole } from "@tillsync/shared";
import type { TerminalIdentity, TerminalQueries } from "../store/terminals";
import type { AuthThrottle } from "./auth-throttle";
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
export async function findTerminalByKey(terminals: KeyLookup, key: string): Promise<AuthedTerminal | undefined> {
  const k = await terminals.findByKeyHash(hashTerminalKey(key));
  // Only who it is goes on: the key's expiry is the key cache's business.
  return k && { id: k.id, storeId: k.storeId, name: k.name, ...(k.keyId ? { keyId: k.keyId } : {}) };
}

/** The connecting address a failed authentication is counted against. */
const addressOf = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? "unknown";

/** 401 for a bad credential, or 429 once the address failed too often (AuthThrottle). */
function refuse(req: Request, throttle: AuthThrottle | undefined, err: UnauthorizedError, next: NextFunction): void {
  if (!throttle) return next(err);
  throttle.failed(addressOf(req), err).then(next, next);
}

export function terminalAuth(terminals: KeyLookup, throttle?: AuthThrottle): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const key = bearerToken(req.headers.authorization);
    if (!key)
      return refuse(
        req,
        throttle,
        new UnauthorizedError("send the terminal key as 'Authorization: Bearer <key>'"),
        next,
      );
    findTerminalByKey(terminals, key).then((t) => {
      if (!t)
        return refuse(
          req,
          throttle,
          new UnauthorizedError(
            "terminal key is unknown, revoked, past its grace period or its terminal is disabled; ask for a current key",
          ),
          next,
        );
      req.terminal = t;
      next();
    }, next);
  };
}
