import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import express, { type Request } from "express";
import { DEFAULT_SYNC_POLICY, type SyncPolicy } from "@tillsync/shared";
import { change } from "@tillsync/testkit";
import { syncRoutes, type SyncRouteDeps } from "../src/routes/sync-routes";

/**
 * The push route lets go of the request's raw JSON tree once it is parsed (routes/sync-routes.ts):
 * during the push's database work `req.body` no longer holds 1,000 changes' worth of garbage.
 */
describe("a push's request body while the push runs", () => {
  it("is no longer referenced by the request", async () => {
    const terminal = { id: randomUUID(), storeId: randomUUID(), name: "Till" };
    let current: Request | undefined;
    const seen: unknown[] = [];
    const store = {
      // The push's transaction: what the request holds by then is what it holds through the push.
      transaction: () => {
        seen.push(current!.body);
        return Promise.reject(new Error("stop here"));
      },
    } as unknown as SyncRouteDeps["store"];
    const app = express();
    app.use(express.json());
    app.use((req, _res, next) => {
      current = req;
      next();
    });
    app.use(
      syncRoutes({
        store,
        policy: DEFAULT_SYNC_POLICY as SyncPolicy,
        auth: (req, _res, next) => {
          req.terminal = terminal;
          next();
        },
        stoppedRetryAfterS: 30,
      }),
    );
    app.use((_err: unknown, _req: Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).end();
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const body = {
        terminalId: terminal.id,
        changes: [change("customers", { id: randomUUID(), name: "A", email: null, phone: null })],
      };
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/push`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(500);
      expect(seen).toEqual([undefined]);
    } finally {
      server.close();
    }
  });
});
