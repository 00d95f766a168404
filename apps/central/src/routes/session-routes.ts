import { Router, type Request, type Response } from "express";
import {
  ForbiddenError,
  parseOrThrow,
  SESSION_COOKIE_NAME,
  SESSION_TTL_SECONDS,
  signInRequestSchema,
  UnauthorizedError,
  type Session,
} from "@tillsync/shared";
import {
  clientAddress,
  OperatorAuthenticator,
  operatorAuth,
  rateLimited,
  sameOrigin,
  TOKEN_REFUSED,
  type OperatorPrincipal,
} from "../auth/operator-auth";
import type { FailedAttemptLimiter } from "../auth/failed-attempts";
import { generateSession } from "../auth/operator-tokens";
import { route } from "../http/async-route";
import type { AuditLog } from "../store/audit-log";
import type { OperatorStore } from "../store/operators";
import type { SessionStore, StoredSession } from "../store/operator-sessions";

export interface SessionRouteDeps {
  authn: OperatorAuthenticator;
  limiter: FailedAttemptLimiter;
  store: {
    sessions: Pick<SessionStore, "create" | "end">;
    operators: Pick<OperatorStore, "markSignedIn">;
    audit: Pick<AuditLog, "record">;
  };
  /** Drops the /admin sockets of a session that signs out. */
  onSignedOut?: (sessionHash: string) => void;
}

const UNKNOWN = { id: null, name: "(unknown)", role: null };

function sessionBody(s: StoredSession): Session {
  return { operator: s.operator, expiresAt: s.expiresAt.toISOString(), csrfToken: s.csrfToken };
}

function setCookie(req: Request, res: Response, value: string, maxAgeMs: number): void {
  // Secure whenever the request arrived over TLS, so the cookie never travels in clear.
  res.cookie(SESSION_COOKIE_NAME, value, {
    httpOnly: true,
    sameSite: "strict",
    path: "/",
    maxAge: maxAgeMs,
    secure: req.secure,
  });
}

/** Console sessions (docs/control-center-api.md): sign in with a token, read the session, sign out. */
export function sessionRoutes(deps: SessionRouteDeps): Router {
  const r = Router();
  const { store } = deps;
  const signedIn = operatorAuth(deps.authn, deps.limiter);

  r.post("/session", route(signIn(deps)));
  r.get(
    "/session",
    signedIn,
    route(async (req, res) => {
      if (!req.operatorSession)
        throw new UnauthorizedError("GET /api/session reads the console's session cookie; sign in first");
      res.json(sessionBody(req.operatorSession));
    }),
  );
  r.post(
    "/session/sign-out",
    signedIn,
    route(async (req, res) => {
      const session = req.operatorSession;
      if (!session) throw new UnauthorizedError("sign-out ends a console session; this request has none");
      await store.sessions.end(session.idHash);
      deps.onSignedOut?.(session.idHash);
      await store.audit.record({
        operator: session.operator,
        action: "session.sign-out",
        target: { type: "session", id: null },
        outcome: "success",
      });
      res.cookie(SESSION_COOKIE_NAME, "", { httpOnly: true, sameSite: "strict", path: "/", maxAge: 0 });
      res.json({ signedOut: true });
    }),
  );
  return r;
}

function signIn(deps: SessionRouteDeps) {
  const { store } = deps;
  const audit = (operator: OperatorPrincipal | typeof UNKNOWN, outcome: "success" | "denied", detail?: string) =>
    store.audit.record({ operator, action: "session.sign-in", target: { type: "session", id: null }, outcome, detail });
  return async (req: Request, res: Response) => {
    // Login CSRF: a page of another site must not sign this browser in as someone else.
    if (!sameOrigin(req)) throw new ForbiddenError("sign-in is accepted only from the console's own origin");
    const address = clientAddress(req);
    const wait = await deps.limiter.retryAfter(address);
    if (wait !== null) {
      await audit(UNKNOWN, "denied", "too many failed sign-ins from this address");
      throw rateLimited(wait);
    }
    const body = parseOrThrow(signInRequestSchema, req.body, "sign-in");
    const operator = await deps.authn.byToken(body.token);
    if (!operator) {
      await deps.limiter.recordFailure(address);
      await audit(UNKNOWN, "denied", "token not accepted");
      throw new UnauthorizedError(TOKEN_REFUSED);
    }
    const { id, idHash, csrfToken } = generateSession();
    const session: StoredSession = {
      idHash,
      operator,
      csrfToken,
      expiresAt: new Date(Date.now() + SESSION_TTL_SECONDS * 1000),
    };
    await store.sessions.create(session);
    if (operator.id) await store.operators.markSignedIn(operator.id);
    await audit(operator, "success");
    setCookie(req, res, id, SESSION_TTL_SECONDS * 1000);
    res.json(sessionBody(session));
  };
}
