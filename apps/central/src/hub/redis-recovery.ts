import type { Redis } from "ioredis";
import type { Logger } from "../observability/logger";

/** Set while Redis still has the hub's data; missing means Redis restarted empty (or was flushed). */
const EPOCH_KEY = "hub:epoch";

/**
 * Notices that Redis lost its data (restarted without persistence, flushed) and has the hub
 * re-create what lives there from PostgreSQL (issue 11 defect 6). A marker key is written at
 * start; on every reconnect and every `checkMs`, `SET NX` on it tells a Redis that lost it, and
 * only the instance whose SET wins recovers, so a cluster recovers once per loss and a
 * reconnect of a Redis that kept its data changes nothing (no trigger storm).
 */
export class RedisRecovery {
  private timer?: NodeJS.Timeout;
  private checking = false;
  private readonly onReady = () => void this.check();

  constructor(
    private readonly redis: Redis,
    private readonly checkMs: number,
    private readonly recover: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  /** Marks Redis as holding the hub's data (the caller has just declared it all) and starts watching. */
  async start(): Promise<void> {
    await this.redis.set(EPOCH_KEY, new Date().toISOString());
    this.redis.on("ready", this.onReady);
    this.timer = setInterval(() => void this.check(), this.checkMs);
    this.timer.unref();
  }

  /** Recovers when the marker is gone; true when this call did. */
  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      if ((await this.redis.set(EPOCH_KEY, new Date().toISOString(), "NX")) !== "OK") return false;
      this.log.warn("Redis lost the hub's data: re-creating job schedulers and pending run triggers from PostgreSQL");
      try {
        await this.recover();
      } catch (err) {
        // Let the next check try again rather than leave Redis half rebuilt.
        await this.redis.del(EPOCH_KEY).catch(() => undefined);
        throw err;
      }
      this.log.info("hub state re-created in Redis");
      return true;
    } catch (err) {
      this.log.warn({ err }, "could not check or rebuild the hub's Redis state; retrying");
      return false;
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.redis.off("ready", this.onReady);
  }
}
