import type { FeedCursor, HeartbeatRequest, PullResponse, PushChange, PushResult, SyncTable } from "@tillsync/shared";

/** What the sync engine needs from central. Tests and benchmarks may pass their own. */
export interface CentralTransport {
  push(changes: PushChange[]): Promise<PushResult[]>;
  pull(since: FeedCursor, limit: number, entityType?: SyncTable): Promise<PullResponse>;
  acknowledge(cursor: FeedCursor): Promise<void>;
  heartbeat(body: Omit<HeartbeatRequest, "terminalId">): Promise<void>;
}
