import { Client } from "pg";

/** The channel the feed triggers notify at commit (feed/feed-triggers.ts). */
const FEED_CHANNEL = "tillsync_feed";

export interface FeedListenerOptions {
  databaseUrl: string;
  /** Wait before reconnecting a lost LISTEN connection. */
  reconnectMs: number;
  /** A feed change committed. Also called after every (re)connect: changes may have committed meanwhile. */
  onNotify(): void;
  onLost(err: Error): void;
}

/**
 * LISTENs for feed changes on a connection of its own (a pooled client cannot hold a LISTEN:
 * it goes back to the pool after each query). A lost connection is replaced until close().
 */
export class FeedListener {
  private client: Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly opts: FeedListenerOptions) {}

  /** Connects and LISTENs; rejects when the first connection fails (central's start fails with it). */
  async start(): Promise<void> {
    const c = new Client({ connectionString: this.opts.databaseUrl });
    c.on("error", (err) => {
      if (this.client !== c) return; // a connection that never finished connecting: see reconnect()
      this.client = undefined;
      this.opts.onLost(err);
      this.reconnect();
    });
    c.on("notification", () => this.opts.onNotify());
    try {
      await c.connect();
      await c.query(`LISTEN ${FEED_CHANNEL}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) return void (await c.end().catch(() => undefined));
    this.client = c;
    this.opts.onNotify();
  }

  /**
   * Retries until a connection LISTENs again. Every failed attempt schedules the next one: a
   * PostgreSQL that stays down for longer than one retry must not end DATA_CHANGED for good.
   */
  private reconnect(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.start().catch(() => this.reconnect());
    }, this.opts.reconnectMs);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
