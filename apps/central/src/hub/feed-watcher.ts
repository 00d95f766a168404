import type { Redis } from "ioredis";
import { Client } from "pg";
import type { CentralDb } from "../db/database";
import { sequenceFeed } from "../feed/feed-sequencer";
import type { Logger } from "../observability/logger";

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
  private client: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firstNoticeAt = 0;
  private closed = false;
  private round: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      databaseUrl: string;
      db: CentralDb;
      redis: Redis;
      log: Logger;
      debounceMs: number;
      onChanged: (stores: Set<string | null>) => Promise<void>;
    },
  ) {}

  async start(): Promise<void> {
    // Start from the present: history from before this cluster started is not news.
    const top = await this.top();
    await this.deps.redis.set(WATERMARK_KEY, top, "NX");
    await this.connect();
  }

  private async top(): Promise<string> {
    const { rows } = await this.deps.db.pool.query<{ top: string }>(
      `SELECT coalesce(max(position), 0)::text AS top FROM change_feed`,
    );
    return rows[0]!.top;
  }

  private async connect(): Promise<void> {
    const c = new Client({ connectionString: this.deps.databaseUrl });
    c.on("error", (err) => {
      this.deps.log.warn({ err }, "feed LISTEN connection lost; reconnecting");
      this.client = undefined;
      if (!this.closed) setTimeout(() => void this.connect().catch(() => undefined), 1_000).unref();
    });
    c.on("notification", () => this.notice());
    await c.connect();
    await c.query("LISTEN tillsync_feed");
    this.client = c;
    this.notice(); // changes committed while we were not listening
  }

  /** Trailing debounce with a cap, so a steady stream of changes still announces every 4×debounce. */
  private notice(): void {
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
    await sequenceFeed(this.deps.db.pool);
    const top = await this.top();
    const old = (await this.deps.redis.eval(ADVANCE, 1, WATERMARK_KEY, top)) as string | null;
    if (old === null) return;
    const { rows } = await this.deps.db.pool.query<{ store_id: string | null }>(
      `SELECT DISTINCT store_id FROM change_feed WHERE position > $1::bigint AND position <= $2::bigint`,
      [old, top],
    );
    if (rows.length > 0) await this.deps.onChanged(new Set(rows.map((r) => r.store_id)));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.round.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
