import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import express from "express";
import { DEFAULT_SYNC_POLICY, type FeedCursor } from "@tillsync/shared";
import type { AuthedTerminal } from "../src/auth/bearer";
import { errorHandler } from "../src/http/error-handler";
import { SNAPSHOT_DEFAULTS, snapshotRoutes } from "../src/routes/snapshot-routes";
import type { SnapshotStore } from "../src/store/snapshot";
import type { SyncHold } from "../src/store/sync-control";

const FREE: SyncHold = { emergency: { stopped: false, since: null, reason: null }, pause: null };

/**
 * A snapshot holds a pooled connection while it streams, so an instance streams a few at once
 * and tells the others 429 with Retry-After (after a restore every terminal re-downloads at once).
 * A store whose stream waits until released keeps the streams open here.
 */
describe("GET /api/sync/snapshot: streams at once", () => {
  it("answers 429 RATE_LIMITED with Retry-After beyond the limit, and serves again once one ended", async () => {
    const releases: Array<() => void> = [];
    const store: SnapshotStore = {
      async stream(_opts, sink) {
        await sink.header({ epoch: randomUUID(), cursor: "1" as FeedCursor, tables: ["products"] });
        await new Promise<void>((resolve) => releases.push(resolve));
        return { epoch: randomUUID(), cursor: "1" as FeedCursor, rows: 0 };
      },
    };
    const app = express();
    const terminal = { id: randomUUID(), storeId: randomUUID() } as AuthedTerminal;
    app.use(
      snapshotRoutes({
        store: { snapshot: store, control: { holdOf: async () => FREE }, runs: { addRecords: async () => undefined } },
        policy: DEFAULT_SYNC_POLICY,
        auth: (req, _res, next) => {
          req.terminal = terminal;
          next();
        },
        stoppedRetryAfterS: 1,
        concurrent: 2,
      }),
    );
    app.use(errorHandler(() => undefined));
    const server = app.listen(0);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/snapshot`;
    try {
      const open = [await fetch(url), await fetch(url)];
      expect(open.map((r) => r.status)).toEqual([200, 200]);
      const refused = await fetch(url);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe(String(SNAPSHOT_DEFAULTS.retryAfterS));
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
      releases.shift()!();
      await open[0]!.text();
      const again = await fetch(url);
      expect(again.status).toBe(200);
      for (const r of releases.splice(0)) r();
      await Promise.all([open[1]!.text(), again.text()]);
    } finally {
      server.close();
    }
  });
});
