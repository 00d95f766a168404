import type { Redis } from "ioredis";

const CLUSTER_KEY = "hub:cluster-up";
const INSTANCES_KEY = "hub:instances";

/**
 * Knows whether this instance started a new cluster life (no instance was running) or joined
 * a running cluster (a rolling restart). Only the first case sends SERVER_RESTART triggers:
 * one instance restarting beside others must not set off a trigger storm.
 */
export class ClusterPresence {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    readonly instanceId: string,
    /** An instance that has not refreshed for `ttlMs` (crashed) no longer counts; refreshed every `refreshMs`. */
    private readonly timing: { ttlMs: number; refreshMs: number },
  ) {}

  /** Joins; true when this instance is the first of the cluster (SET NX won). */
  async join(): Promise<boolean> {
    const first = (await this.redis.set(CLUSTER_KEY, this.instanceId, "PX", this.timing.ttlMs, "NX")) === "OK";
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.timing.refreshMs);
    this.timer.unref();
    return first;
  }

  private async refresh(): Promise<void> {
    const now = Date.now();
    await this.redis
      .multi()
      .set(CLUSTER_KEY, this.instanceId, "PX", this.timing.ttlMs)
      .zadd(INSTANCES_KEY, now + this.timing.ttlMs, this.instanceId)
      .zremrangebyscore(INSTANCES_KEY, 0, now)
      .exec();
  }

  /** Leaves; the last instance out ends the cluster's life, so the next start is a restart. */
  async leave(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.zrem(INSTANCES_KEY, this.instanceId);
    await this.redis.zremrangebyscore(INSTANCES_KEY, 0, Date.now());
    if ((await this.redis.zcard(INSTANCES_KEY)) === 0) await this.redis.del(CLUSTER_KEY);
  }
}
