import type {
  FeedCursor,
  HeartbeatRequest,
  OwnOrdersPage,
  PullResponse,
  PushChange,
  PushResult,
  SyncTable,
} from "@tillsync/shared";
import type { SnapshotLines } from "./snapshot-stream";

/** What the sync engine needs from central. Tests and benchmarks may pass their own. */
export interface CentralTransport {
  push(changes: PushChange[]): Promise<PushResult[]>;
  /**
   * A page of the feed after `since`. `epoch` is the feed epoch the cursor came from: central
   * answers 409 FEED_RESET (FeedResetError) when its feed is another one.
   */
  pull(since: FeedCursor, limit: number, entityType?: SyncTable, epoch?: string): Promise<PullResponse>;
  /**
   * Tells central the cursor applied, with the feed epoch its pages named when known: central
   * refuses (409 FEED_RESET) a cursor beyond its head or of another epoch, as a pull of it.
   */
  acknowledge(cursor: FeedCursor, epoch?: string): Promise<void>;
  heartbeat(body: Omit<HeartbeatRequest, "terminalId">): Promise<void>;
  /**
   * This terminal's own orders created at or after `since`, with lines and payments (a page;
   * `cursor` is the previous page's nextCursor). Optional: a transport without it restores none.
   */
  ownOrders?(since: string, limit: number, cursor?: string): Promise<OwnOrdersPage>;
  /**
   * The bootstrap snapshot's NDJSON lines (GET /api/sync/snapshot), unchecked: the caller
   * validates every line. Undefined when central does not serve it (404: an older central).
   * Optional: a transport without it bootstraps by replaying the feed.
   */
  snapshot?(): Promise<SnapshotLines | undefined>;
}
