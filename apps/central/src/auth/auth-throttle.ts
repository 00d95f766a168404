import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { RateLimitedError } from "@tillsync/shared";
import type { HubTunables } from "../config";

/**
 * Slows down repeated failed authentication from one address (HTTP terminal and admin
 * credentials, socket handshakes): after `authFailureBurst` failures within
 * `authFailureWindowS`, a bad credential from that address gets 429 RATE_LIMITED with
 * Retry-After for `authBlockS`. Counted in Redis (rate-limiter-flexible, atomic), so the
 * limit holds across every instance; while Redis is away each instance counts in memory.
 *
 * Only failures are counted and only failures are refused: a valid key from a throttled
 * address (another till behind the same shop router) still works, and other addresses are
 * never touched.
 */
export class AuthThrottle {
  private readonly limiter: RateLimiterRedis;

  constructor(redis: Redis, t: Pick<HubTunables, "authFailureBurst" | "authFailureWindowS" | "authBlockS">) {
    const opts = { points: t.authFailureBurst, duration: t.authFailureWindowS, blockDuration: t.authBlockS };
    this.limiter = new RateLimiterRedis({
      ...opts,
      storeClient: redis,
      keyPrefix: "auth-failures",
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ ...opts, keyPrefix: "auth-failures" }),
    });
  }

  /**
   * Records a failed authentication from `address`. Returns the error to answer: `refusal`
   * (401) within the burst, a RateLimitedError (429, with retryAfterSeconds) beyond it.
   */
  async failed(address: string, refusal: Error): Promise<Error> {
    try {
      await this.limiter.consume(address);
      return refusal;
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) return refusal; // the limiter itself failed: never lock anyone out for it
      const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      return new RateLimitedError(
        `too many failed authentications from this address; wait ${retryAfterSeconds} s and use a current credential`,
        { retryAfterSeconds },
      );
    }
  }
}
