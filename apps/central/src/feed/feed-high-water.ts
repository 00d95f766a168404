import type { Redis } from "ioredis";
import type { Logger } from "../observability/logger";
import type { ChangeFeedStore } from "../store/change-feed";
import type { FeedIdentityStore } from "../store/feed-identity";

/**
 * The highest cursor central has given out, per feed epoch, kept in Redis: outside the database
 * a restore rewinds. The feed's head never goes down by itself (compaction always keeps the
 * newest entry), and no cursor is ever given beyond it, so a head below the mark means the
 * database was restored in place from a backup (a data-only restore, a disk or VM snapshot)
 * without anything its fingerprint sees. The feed then gets a new epoch, and every terminal
 * re-sends and re-downloads (409 FEED_RESET) instead of only those whose cursor is ahead.
 * Best effort: without Redis, or with Redis restored from the same snapshot, nothing is known
 * and nothing changes; the fingerprint and the cursor-ahead check still apply.
 */

const key = (epoch: string) => `feed:high-water:${epoch}`;

/**
 * SET the key to ARGV[1] when it is larger (decimal strings of any length, compared exactly),
 * and keep it ARGV[2] seconds past the last pull: an epoch nobody pulls from any more goes away.
 */
const RAISE = `local cur = redis.call('GET', KEYS[1])
local new = ARGV[1]
if (not cur) or #new > #cur or (#new == #cur and new > cur) then
  redis.call('SET', KEYS[1], new, 'EX', ARGV[2])
else
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1`;

/** Longer than any restore window worth detecting. */
const KEEP_S = 400 * 86_400;

/**
 * How long a served cursor may wait to be written with others. A crash within it loses the
 * cursors of that moment from the mark, as a Redis outage would (best effort): the fingerprint
 * and the cursor-ahead check still apply.
 */
export const SERVED_GATHER_MS = 10;

/** Whether decimal string a is the greater cursor (any length, compared exactly, as RAISE does). */
const greater = (a: string, b: string): boolean => a.length > b.length || (a.length === b.length && a > b);

export class FeedHighWater {
  constructor(
    private readonly deps: {
      redis: Pick<Redis, "eval" | "get">;
      identity: Pick<FeedIdentityStore, "current" | "rotate">;
      feed: Pick<ChangeFeedStore, "top">;
      log?: Logger;
      /** How long a Redis call may take before the check gives up (it never holds a pull). */
      timeoutMs: number;
      /** SERVED_GATHER_MS by default. */
      gatherMs?: number;
    },
  ) {}

  /** Served cursors not yet written, the greatest per epoch. */
  private readonly unwritten = new Map<string, string>();
  private flushTimer: NodeJS.Timeout | undefined;

  /**
   * A pull answered with this cursor in this epoch (fire and forget: never delays the answer).
   * Cursors served within `gatherMs` of each other go to Redis as one write of the greatest:
   * after a price change a thousand tills' pulls answer the same head within a second or two,
   * and each made a round trip to Redis of its own.
   */
  served(epoch: string, cursor: string): void {
    const held = this.unwritten.get(epoch);
    if (held === undefined || greater(cursor, held)) this.unwritten.set(epoch, cursor);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), this.deps.gatherMs ?? SERVED_GATHER_MS);
    this.flushTimer.unref();
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batch = [...this.unwritten];
    this.unwritten.clear();
    // Best effort: Redis being away must never fail or slow the pull that was answered.
    for (const [epoch, cursor] of batch)
      Promise.resolve()
        .then(() => this.deps.redis.eval(RAISE, 1, key(epoch), cursor, KEEP_S))
        .catch(() => undefined);
  }

  /**
   * Gives the feed a new epoch when its head is below the cursor it has given out; returns the
   * reason when it did. Run at start, before serving, and periodically.
   */
  async check(): Promise<string | undefined> {
    const { epoch } = await this.deps.identity.current();
    const mark = await this.withTimeout(this.deps.redis.get(key(epoch)));
    if (!mark) return undefined;
    const head = await this.deps.feed.top();
    if (BigInt(head) >= BigInt(mark)) return undefined;
    const reason = `the feed's head ${head} is behind cursor ${mark} it had given out (restored in place from a backup)`;
    const next = await this.deps.identity.rotate(reason, epoch);
    this.deps.log?.warn({ epoch: next, previousEpoch: epoch }, `feed epoch changed to ${next}: ${reason}`);
    return reason;
  }

  private async withTimeout<T>(p: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), this.deps.timeoutMs)),
    );
    try {
      return await Promise.race([p.catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
