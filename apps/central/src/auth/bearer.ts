import { timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { UnauthorizedError } from "@tillsync/shared";
import type { CentralDb } from "../db/database";
import { hashTerminalKey } from "./terminal-keys";

/** The terminal a request authenticated as. Set by `terminalAuth`. */
export interface AuthedTerminal {
  id: string;
  storeId: string;
  name: string;
}

declare module "express-serve-static-core" {
  interface Request {
    terminal?: AuthedTerminal;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return m?.[1]?.trim();
}

/** Looks a key up; undefined when it is unknown, revoked (rotated out) or its terminal disabled. */
export async function findTerminalByKey(db: CentralDb, key: string): Promise<AuthedTerminal | undefined> {
  const { rows } = await db.pool.query<AuthedTerminal>(
    `SELECT t.id, t.store_id AS "storeId", t.name
       FROM terminal_keys k JOIN terminals t ON t.id = k.terminal_id
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND t.status <> 'DISABLED'`,
    [hashTerminalKey(key)],
  );
  return rows[0];
}

export function terminalAuth(db: CentralDb): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const key = bearerToken(req.headers.authorization);
    if (!key) return next(new UnauthorizedError("send the terminal key as 'Authorization: Bearer <key>'"));
    findTerminalByKey(db, key).then((t) => {
      if (!t)
        return next(
          new UnauthorizedError("terminal key is unknown, revoked or its terminal is disabled; ask for a current key"),
        );
      req.terminal = t;
      next();
    }, next);
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function adminAuth(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token || !sameSecret(token, adminToken)) {
      return next(new UnauthorizedError("admin endpoints need 'Authorization: Bearer <ADMIN_TOKEN>'"));
    }
    next();
  };
}
