import type { Redis } from "ioredis";
import type { Logger } from "../observability/logger";
import type { CentralStore } from "../store/central-store";
import type { ChangeFeedStore } from "../store/change-feed";
import type { FeedListener } from "../store/feed-listener";

/** What the watcher reads: the feed, and a LISTEN connection for its notifications. */
export interface FeedWatcherStore {
  feed: Pick<ChangeFeedStore, "sequence" | "top" | "storesChangedBetween">;
  feedListener: CentralStore["feedListener"];
}

const WATERMARK_KEY = "hub:data-changed:position";

/**
 * Advances the cluster-wide watermark to ARGV[1] and returns the old one, or nil when another
 * instance already covered this range: every instance LISTENs, but each range of feed
 * positions is announced once.
 */
const ADVANCE = `
local old = redis.call('GET', KEYS[1])
if not old then old = '0' end
if tonumber(ARGV[1]) > tonumber(old) then
  redis.call('SET', KEYS[1], ARGV[1])
  return old
end
return false`;

/**
 * DATA_CHANGED: central's feed triggers `pg_notify('tillsync_feed', table)` at commit. This
 * LISTENs, debounces a burst of changes into one round, numbers the committed entries (the
 * sequencer is idempotent and safe to run anywhere), and reports the stores touched since the
 * last round: `null` in the set means an all-stores table (catalogue) changed.
 */
export class FeedWatcher {
  private listener: FeedListener | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firstNoticeAt = 0;
  private closed = false;
  private round: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      store: FeedWatcherStore;
      redis: Redis;
      log: Logger;
      debounceMs: number;
      /** The LISTEN connection's reconnect backoff and ping (store/feed-listener.ts). */
      listen: { reconnectMs: number; reconnectMaxMs: number; pingMs: number; pingTimeoutMs: number };
      onChanged: (stores: Set<string | null>) => Promise<void>;
      /** Each notification as it arrives, before the debounce: the feed may have grown. */
      onNotice?: () => void;
    },
  ) {}

  async start(): Promise<void> {
    // Start from the present: history from before this cluster started is not news.
    const top = await this.deps.store.feed.top();
    await this.deps.redis.set(WATERMARK_KEY, top, "NX");
    this.listener = this.deps.store.feedListener({
      ...this.deps.listen,
      // Also called once (re)connected: changes may have committed while nobody listened, and
      // the round that follows reads everything after the cluster's watermark (the catch-up).
      onNotify: () => this.notice(),
      onLost: (err) => this.deps.log.warn({ err }, "feed LISTEN connection lost; reconnecting"),
      onRestored: () => this.deps.log.info("feed LISTEN connection restored; catching up"),
    });
    await this.listener.start();
  }

  /** Trailing debounce with a cap, so a steady stream of changes still announces every 4×debounce. */
  private notice(): void {
    this.deps.onNotice?.();
    const now = Date.now();
    if (!this.timer) this.firstNoticeAt = now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.deps.debounceMs, this.firstNoticeAt + 4 * this.deps.debounceMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.round = this.round
        .then(() => this.announce())
        .catch((err: unknown) => this.deps.log.warn({ err }, "DATA_CHANGED round failed"));
    }, wait);
  }

  private async announce(): Promise<void> {
    if (this.closed) return;
    const { feed } = this.deps.store;
    await feed.sequence();
    const top = await feed.top();
    const old = (await this.deps.redis.eval(ADVANCE, 1, WATERMARK_KEY, top)) as string | null;
    if (old === null) return;
    const stores = await feed.storesChangedBetween(old, top);
    if (stores.length > 0) await this.deps.onChanged(new Set(stores));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.round.catch(() => undefined);
    await this.listener?.close();
  }
}
