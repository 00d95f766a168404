import type { Redis } from "ioredis";

export interface FailedAttemptPolicy {
  /** Failures allowed within the window before further attempts are refused. */
  max: number;
  windowMs: number;
}

/**
 * Slows down guessing: failed sign-ins (and failed operator tokens) are counted per client
 * address in Redis, so every central instance sees the same count. After `max` failures within
 * the window, attempts from that address are refused until the window ends; other addresses
 * and valid sessions are unaffected.
 */
export class FailedAttemptLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly policy: FailedAttemptPolicy,
    private readonly prefix = "auth:failed:",
  ) {}

  /**
   * Seconds to wait when this address is locked out now; null when it may try. While Redis
   * does not answer, null: the count is a brake on guessing, and an operator must still reach
   * what PostgreSQL holds (an emergency stop above all) during a Redis outage; counting
   * resumes when Redis is back.
   */
  async retryAfter(address: string): Promise<number | null> {
    const key = this.prefix + address;
    const read = await Promise.all([this.redis.get(key), this.redis.pttl(key)]).catch(() => undefined);
    if (!read) return null;
    const [count, ttl] = read;
    if (Number(count ?? 0) < this.policy.max) return null;
    return Math.max(1, Math.ceil((ttl > 0 ? ttl : this.policy.windowMs) / 1000));
  }

  /** Counts a failure; lost while Redis does not answer (see retryAfter). */
  async recordFailure(address: string): Promise<void> {
    const key = this.prefix + address;
    // The window starts at the first failure (NX): later failures do not extend it.
    await this.redis
      .multi()
      .incr(key)
      .pexpire(key, this.policy.windowMs, "NX")
      .exec()
      .catch(() => undefined);
  }
}
