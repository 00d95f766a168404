import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import compression from "compression";
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type { Queue } from "bullmq";
import { consoleAssetsBuilt, consoleAssetsDir, consoleIndexHtml } from "@tillsync/control-center";
import { DASHBOARD_PATH, QUEUES_PATH, roleAllows } from "@tillsync/shared";
import { bearerToken } from "../auth/bearer";
import { OperatorAuthenticator, sameOrigin, type OperatorPrincipal } from "../auth/operator-auth";

const CONSOLE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tillsync control center</title></head>
<body><h1>The control center is not built</h1>
<p>Central serves the console from <code>apps/control-center/dist</code>, which does not exist yet.
Run <code>npm run build -w @tillsync/control-center</code> (or <code>npm run build</code>) and reload.</p></body></html>`;

export interface DashboardDeps {
  authn: OperatorAuthenticator;
  /** The hub's BullMQ queues, shown by bull-board; without them there is no queue board. */
  queues?: Queue[];
  /** Where the console's files are (tests point it at a missing folder). */
  assets?: { dir: string; indexHtml: string; built: () => boolean };
}

/**
 * The control center at /dashboard: its static files from disk, its index page for every other
 * /dashboard path (the console routes by the path), and bull-board at /dashboard/queues behind
 * the same sign-in. The shell is public; every piece of data it shows needs a session.
 */
export function dashboardRoutes(deps: DashboardDeps): Router {
  const assets = deps.assets ?? { dir: consoleAssetsDir(), indexHtml: consoleIndexHtml(), built: consoleAssetsBuilt };
  const r = Router();
  r.use(DASHBOARD_PATH, compression());
  if (deps.queues) r.use(QUEUES_PATH, queueBoard(deps.authn, deps.queues));
  r.use(DASHBOARD_PATH, (_req, res, next) => {
    res.set(CONSOLE_HEADERS);
    next();
  });
  r.use(DASHBOARD_PATH, express.static(assets.dir, { index: false }));
  const page: RequestHandler = (_req, res) => {
    res.set("Cache-Control", "no-cache");
    if (!assets.built()) {
      res.status(503).type("html").send(NOT_BUILT);
      return;
    }
    res.sendFile(assets.indexHtml);
  };
  r.get(DASHBOARD_PATH, page);
  // Every deeper path is a page of the console (history routing). A middleware, not a route:
  // the API document lists only /dashboard itself.
  r.use(DASHBOARD_PATH, (req, res, next) =>
    req.method === "GET" || req.method === "HEAD" ? page(req, res, next) : next(),
  );
  return r;
}

/**
 * bull-board behind the console's sign-in: reading needs an operator (a viewer sees no job
 * payloads), and its buttons (retry, clean, remove) need an admin from the console's own origin,
 * since bull-board cannot send the CSRF header.
 */
function queueBoard(authn: OperatorAuthenticator, queues: Queue[]): RequestHandler {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUES_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  const board = adapter.getRouter() as RequestHandler;
  const who = async (req: Request): Promise<OperatorPrincipal | undefined> => {
    const token = bearerToken(req.headers.authorization);
    if (token) return authn.byToken(token);
    return (await authn.bySessionCookie(req.headers.cookie))?.operator;
  };
  // Wrapped in a function: bull-board's own routes are its business, not the API document's.
  return (req: Request, res: Response, next: NextFunction) => {
    who(req).then((operator) => {
      const reading = req.method === "GET" || req.method === "HEAD";
      if (!operator) {
        if (reading) return res.redirect(302, `${DASHBOARD_PATH}/sign-in?next=${encodeURIComponent(QUEUES_PATH)}`);
        return res.status(401).type("text").send("sign in to the control center first");
      }
      const need = reading ? "operator" : "admin";
      if (!roleAllows(operator.role, need) || (!reading && !sameOrigin(req)))
        return res.status(403).type("text").send(`the queue board needs role ${need} (you are ${operator.role})`);
      board(req, res, next);
    }, next);
  };
}
