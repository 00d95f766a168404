import { Client } from "pg";

/** The channel the feed triggers notify at commit (feed/feed-triggers.ts). */
const FEED_CHANNEL = "tillsync_feed";
/** Names the LISTEN connection in pg_stat_activity, so an operator (or a test) can find it. */
export const FEED_LISTENER_APPLICATION_NAME = "tillsync-feed-listener";
/** Connecting and LISTENing must finish within this, or the attempt counts as failed. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface FeedListenerOptions {
  databaseUrl: string;
  /** First wait before reconnecting a lost LISTEN connection; it doubles per failed attempt. */
  reconnectMs: number;
  /** The longest wait between reconnect attempts (default 5 s: a till hears of changes soon after). */
  reconnectMaxMs?: number;
  /**
   * How often the connection is asked `SELECT 1` (default 10 s). A connection that died without
   * a word (a blackholed network, a PostgreSQL host gone) would otherwise LISTEN to nothing forever.
   */
  pingMs?: number;
  /** A ping unanswered for this long counts as a dead connection (default 5 s). */
  pingTimeoutMs?: number;
  /**
   * A feed change committed. Also called after every (re)connect: changes may have committed
   * while nobody listened, and the watcher's catch-up read covers them.
   */
  onNotify(): void;
  onLost(err: Error): void;
  /** A lost connection LISTENs again (not called for the first connect). */
  onRestored?(): void;
}

/**
 * Ends a client without trusting its connection: `end()` on a dead connection waits for an
 * answer that never comes, so after `waitMs` the socket under it is destroyed.
 */
async function endClient(c: Client, waitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = c.end().catch(() => undefined);
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), waitMs)));
  if ((await Promise.race([ended, late])) === "late")
    (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  clearTimeout(timer);
}

/**
 * LISTENs for feed changes on a connection of its own (a pooled client cannot hold a LISTEN:
 * it goes back to the pool after each query). A lost connection, noticed by an error or by an
 * unanswered ping, is replaced with exponential backoff until close().
 */
export class FeedListener {
  private client: Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private ping: NodeJS.Timeout | undefined;
  /** Failed reconnect attempts in a row (the backoff's exponent); 0 while connected. */
  private attempts = 0;
  private lostOnce = false;

  constructor(private readonly opts: FeedListenerOptions) {}

  /** Connects and LISTENs; rejects when the first connection fails (central's start fails with it). */
  async start(): Promise<void> {
    const c = new Client({
      connectionString: this.opts.databaseUrl,
      application_name: FEED_LISTENER_APPLICATION_NAME,
      keepAlive: true,
      // A connect or a LISTEN into a blackholed network must fail, or the retries stop there.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: CONNECT_TIMEOUT_MS,
    });
    c.on("error", (err) => this.lost(c, err));
    c.on("notification", () => this.opts.onNotify());
    try {
      await c.connect();
      await c.query(`LISTEN ${FEED_CHANNEL}`);
    } catch (err) {
      await endClient(c, 1_000);
      throw err;
    }
    if (this.closed) return void (await endClient(c, 1_000));
    this.client = c;
    this.attempts = 0;
    this.schedulePing(c);
    if (this.lostOnce) this.opts.onRestored?.();
    this.opts.onNotify();
  }

  /** The current connection is gone (an error, or a ping that went unanswered): replace it. */
  private lost(c: Client, err: Error): void {
    if (this.client !== c) return; // a connection that never finished connecting: see reconnect()
    this.client = undefined;
    this.lostOnce = true;
    clearTimeout(this.ping);
    void endClient(c, 1_000);
    this.opts.onLost(err);
    this.reconnect();
  }

  private schedulePing(c: Client): void {
    const every = this.opts.pingMs ?? 10_000;
    const timeoutMs = this.opts.pingTimeoutMs ?? 5_000;
    this.ping = setTimeout(() => {
      let timer: NodeJS.Timeout | undefined;
      const unanswered = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`feed LISTEN connection silent for ${timeoutMs} ms`)), timeoutMs);
      });
      Promise.race([c.query("SELECT 1"), unanswered])
        .then(() => {
          if (this.client === c && !this.closed) this.schedulePing(c);
        })
        .catch((err: Error) => this.lost(c, err))
        .finally(() => clearTimeout(timer));
    }, every);
    this.ping.unref();
  }

  /**
   * Retries until a connection LISTENs again, waiting longer after each failed attempt (up to
   * reconnectMaxMs): a PostgreSQL that stays down for longer than one retry must not end
   * DATA_CHANGED for good, nor be hammered while it starts.
   */
  private reconnect(): void {
    if (this.closed || this.retry) return;
    const max = this.opts.reconnectMaxMs ?? 5_000;
    const wait = Math.min(max, this.opts.reconnectMs * 2 ** this.attempts);
    this.attempts++;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.start().catch(() => this.reconnect());
    }, wait);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.ping);
    const c = this.client;
    this.client = undefined;
    if (c) await endClient(c, 1_000);
  }
}
