import type { NextFunction, Request, RequestHandler, Response } from "express";
import {
  CSRF_HEADER_NAME,
  CsrfRejectedError,
  RateLimitedError,
  SESSION_COOKIE_NAME,
  UnauthorizedError,
  type OperatorRole,
} from "@tillsync/shared";
import type { OperatorStore } from "../store/operators";
import type { SessionStore, StoredSession } from "../store/operator-sessions";
import { bearerToken } from "./bearer";
import { readCookie } from "./cookies";
import type { FailedAttemptLimiter } from "./failed-attempts";
import { sameSecret, sha256 } from "./operator-tokens";

/** Who an operator request acts as: a named operator, or the built-in owner (ADMIN_TOKEN, id null). */
export interface OperatorPrincipal {
  id: string | null;
  name: string;
  role: OperatorRole;
}

/** The name the built-in owner signs in and is audited under. */
export const OWNER_NAME = "owner";

/** The one message for every refused token: it never says which part was wrong. */
export const TOKEN_REFUSED = "that token was not accepted; check it and sign in again";

declare module "express-serve-static-core" {
  interface Request {
    /** The console session a cookie-authenticated request came with. */
    operatorSession?: StoredSession;
  }
}

/**
 * Turns a credential into an operator: ADMIN_TOKEN (the owner, an admin), a named operator's
 * token (looked up by its hash; revoked ones are unknown), or a console session cookie.
 */
export class OperatorAuthenticator {
  constructor(
    private readonly deps: {
      adminToken: string;
      operators: Pick<OperatorStore, "findByTokenHash">;
      sessions: Pick<SessionStore, "findLive">;
    },
  ) {}

  async byToken(token: string): Promise<OperatorPrincipal | undefined> {
    if (sameSecret(token, this.deps.adminToken)) return { id: null, name: OWNER_NAME, role: "admin" };
    return this.deps.operators.findByTokenHash(sha256(token));
  }

  /** The live session a Cookie header carries, if any. */
  async bySessionCookie(cookieHeader: string | undefined): Promise<StoredSession | undefined> {
    const id = readCookie(cookieHeader, SESSION_COOKIE_NAME);
    return id ? this.deps.sessions.findLive(sha256(id)) : undefined;
  }
}

/** The client address failed attempts are counted under. */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}

/** True when the request has no Origin header or one naming this very host. */
export function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function checkCsrf(req: Request, session: StoredSession): void {
  if (SAFE_METHODS.has(req.method)) return;
  const sent = req.get(CSRF_HEADER_NAME);
  if (!sent || !sameSecret(sent, session.csrfToken) || !sameOrigin(req))
    throw new CsrfRejectedError(
      `a request signed in by the session cookie must send its CSRF token in ${CSRF_HEADER_NAME} from the console's own origin; reload the console`,
    );
}

/**
 * Authenticates every operator endpoint (docs/control-center-api.md): `Authorization: Bearer`
 * with ADMIN_TOKEN or an operator token (no CSRF check: nothing ambient to forge), or the
 * console's session cookie, whose state-changing requests must carry the CSRF token. Wrong
 * bearer tokens count as failed attempts, like failed sign-ins.
 */
export function operatorAuth(authn: OperatorAuthenticator, limiter: FailedAttemptLimiter): RequestHandler {
  const authenticate = async (req: Request): Promise<void> => {
    const token = bearerToken(req.headers.authorization);
    if (token) {
      const address = clientAddress(req);
      const wait = await limiter.retryAfter(address);
      if (wait !== null) throw rateLimited(wait);
      const principal = await authn.byToken(token);
      if (!principal) {
        await limiter.recordFailure(address);
        throw new UnauthorizedError(TOKEN_REFUSED);
      }
      req.operator = principal;
      return;
    }
    const session = await authn.bySessionCookie(req.headers.cookie);
    if (!session)
      throw new UnauthorizedError(
        "sign in to the console (POST /api/session) or send 'Authorization: Bearer <operator token or ADMIN_TOKEN>'",
      );
    checkCsrf(req, session);
    req.operator = session.operator;
    req.operatorSession = session;
  };
  return (req: Request, _res: Response, next: NextFunction) => {
    authenticate(req).then(() => next(), next);
  };
}

/** 429 with the wait in `details.retryAfterSeconds` (the error handler sends it as Retry-After). */
export function rateLimited(seconds: number): RateLimitedError {
  return new RateLimitedError(`too many failed attempts from this address; try again in ${seconds} seconds`, {
    retryAfterSeconds: seconds,
  });
}
