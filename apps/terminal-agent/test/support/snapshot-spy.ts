import type { FeedCursor, PullResponse, SyncTable } from "@tillsync/shared";
import type { CentralTransport } from "../../src/transport/central-transport";
import type { SnapshotLines } from "../../src/transport/snapshot-stream";

/**
 * The real HTTP transport with a record of the pulls and snapshot requests, and hooks into the
 * snapshot stream: `afterLine` runs after line `n` (1 = the header) and is awaited, so it can
 * hold the stream open while central is written to; `cutAfter` drops the connection after that
 * many lines.
 */
export class SnapshotSpy implements CentralTransport {
  /** Every pull asked for, also one that failed (then without a page). */
  pulls: Array<{ since: FeedCursor; page?: PullResponse }> = [];
  snapshots = 0;
  afterLine?: { n: number; run: () => void | Promise<void> };
  cutAfter?: number;

  constructor(private readonly inner: CentralTransport) {}

  push: CentralTransport["push"] = (c) => this.inner.push(c);
  acknowledge: CentralTransport["acknowledge"] = (c) => this.inner.acknowledge(c);
  heartbeat: CentralTransport["heartbeat"] = (b) => this.inner.heartbeat(b);

  async pull(since: FeedCursor, limit: number, entityType?: SyncTable, epoch?: string): Promise<PullResponse> {
    const asked: { since: FeedCursor; page?: PullResponse } = { since };
    this.pulls.push(asked);
    asked.page = await this.inner.pull(since, limit, entityType, epoch);
    return asked.page;
  }

  async snapshot(): Promise<SnapshotLines | undefined> {
    this.snapshots++;
    const lines = await this.inner.snapshot?.();
    return lines && this.hooked(lines);
  }

  private async *hooked(lines: SnapshotLines): SnapshotLines {
    let n = 0;
    for await (const chunk of lines)
      for (const line of chunk) {
        if (this.cutAfter !== undefined && n === this.cutAfter) throw new Error("connection cut (test)");
        yield [line];
        if (++n === this.afterLine?.n) await this.afterLine.run();
      }
  }
}
