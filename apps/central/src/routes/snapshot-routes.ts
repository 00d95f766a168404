import { Router, type RequestHandler, type Response } from "express";
import {
  policyForProtocol,
  PROTOCOL_VERSION,
  RateLimitedError,
  SNAPSHOT_CONTENT_TYPE,
  type SnapshotEnd,
  type SnapshotHeader,
  type SyncPolicy,
  type SyncTable,
} from "@tillsync/shared";
import { route } from "../http/async-route";
import type { Logger } from "../observability/logger";
import type { SnapshotStore } from "../store/snapshot";
import type { SyncControlQueries } from "../store/sync-control";
import type { SyncRunStore } from "../store/sync-runs";
import { assertSyncAllowed } from "../sync/sync-gate";

export interface SnapshotRouteDeps {
  store: {
    snapshot: SnapshotStore;
    control: Pick<SyncControlQueries, "holdOf">;
    runs: Pick<SyncRunStore, "addRecords">;
  };
  policy: SyncPolicy;
  /** terminalAuth. */
  auth: RequestHandler;
  stoppedRetryAfterS: number;
  logger?: Logger;
  /** Told the cursor (and epoch) the snapshot ended with, as a pull tells it (FeedHighWater.served). */
  onServed?: (epoch: string, cursor: string) => void;
  /** Snapshots streamed at once by this instance (default SNAPSHOT_DEFAULTS.concurrent). */
  concurrent?: number;
}

export const SNAPSHOT_DEFAULTS = {
  /**
   * Each snapshot holds a pooled connection for as long as it streams: after a restore, every
   * terminal re-downloads at once and would take the pool from pushes and pulls. The rest are
   * told 429 with Retry-After and come back later (the agent backs off).
   */
  concurrent: 3,
  retryAfterS: 5,
};

/** The client went away: stop reading, roll the snapshot back. */
class ClientGone extends Error {}

/** Writes a chunk, waiting while the socket's buffer is full, so central's memory stays flat. */
function write(res: Response, chunk: string): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.reject(new ClientGone("the terminal closed the snapshot"));
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", gone);
      resolve();
    };
    const gone = () => {
      res.off("drain", done);
      reject(new ClientGone("the terminal closed the snapshot"));
    };
    res.once("drain", done);
    res.once("close", gone);
  });
}

/**
 * GET /api/sync/snapshot (terminal key): a new terminal's bootstrap as NDJSON (protocol/snapshot.ts),
 * the rows of its scope read in one snapshot with the feed cursor to continue from. Held like
 * the pull while sync is stopped or the terminal paused (423). Once the first line is out an
 * error can no longer be a status: the stream is cut, and the agent, missing the `end` line,
 * keeps its cursor and tries again.
 */
export function snapshotRoutes(deps: SnapshotRouteDeps): Router {
  const r = Router();
  let streaming = 0;
  r.get(
    "/snapshot",
    deps.auth,
    route(async (req, res) => {
      const { id, storeId } = req.terminal!;
      assertSyncAllowed(id, await deps.store.control.holdOf(id), deps.stoppedRetryAfterS);
      const policy = policyForProtocol(deps.policy, req.protocolVersion ?? PROTOCOL_VERSION);
      if (streaming >= (deps.concurrent ?? SNAPSHOT_DEFAULTS.concurrent))
        throw new RateLimitedError(
          `central is streaming ${streaming} snapshot(s) already: try again in ${SNAPSHOT_DEFAULTS.retryAfterS} s`,
          { retryAfterSeconds: SNAPSHOT_DEFAULTS.retryAfterS },
        );
      streaming++;
      let started = false;
      try {
        const totals = await deps.store.snapshot.stream(
          { storeId, policy },
          {
            header: async (h) => {
              res.status(200).type(SNAPSHOT_CONTENT_TYPE);
              started = true;
              const line: SnapshotHeader = { type: "header", ...h, tables: h.tables as SyncTable[] };
              await write(res, JSON.stringify(line) + "\n");
            },
            lines: (lines) => write(res, lines.join("\n") + "\n"),
          },
        );
        const end: SnapshotEnd = { type: "end", ...totals };
        res.end(JSON.stringify(end) + "\n");
        await deps.store.runs.addRecords(id, { pulled: totals.rows });
        deps.onServed?.(totals.epoch, totals.cursor);
      } catch (err) {
        if (!started) throw err;
        if (!(err instanceof ClientGone)) deps.logger?.error({ err, terminalId: id }, "snapshot stream failed");
        res.destroy();
      } finally {
        streaming--;
      }
    }),
  );
  return r;
}
