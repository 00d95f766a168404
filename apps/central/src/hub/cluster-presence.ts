import type { Redis } from "ioredis";

/** The current cluster life: the id of the instance that began it, expiring unless a member refreshes it. */
const LIFE_KEY = "hub:cluster:life";
/** Bumped by every refresh of a live member: a joiner that sees it move knows a peer is alive. */
const BEAT_KEY = "hub:cluster:beat";
/**
 * Live members, scored by the Redis time their presence expires (a graceful leave reads it, and
 * the trigger store tells a dead instance's delivery claims from a live one's by it).
 */
export const MEMBERS_KEY = "hub:cluster:members";

/**
 * A member's heartbeat, atomic so a member that stalled past the TTL cannot interleave with a
 * joiner's claim: keeps the life alive (re-creating it under this member's life id only when it
 * expired), bumps the beat, refreshes this member in the set. Returns the life it now belongs to
 * (a new life another instance began while this one stalled is adopted). Times are Redis's own
 * clock, so members' clocks do not matter.
 */
const REFRESH_SCRIPT = `
local life = redis.call('GET', KEYS[1])
if not life then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  life = ARGV[1]
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], 0, now)
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return life
`;

/**
 * A graceful leave: drops this member; the last live member out ends the life at once, so the
 * next start is a new life without waiting for the TTL.
 */
const LEAVE_SCRIPT = `
redis.call('ZREM', KEYS[3], ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], 0, now)
if redis.call('ZCARD', KEYS[3]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return 1
end
return 0
`;

export interface ClusterTiming {
  /** A life nobody refreshed for `ttlMs` is over (every member crashed). */
  ttlMs: number;
  /** How often members refresh; must be well under `ttlMs`. */
  refreshMs: number;
}

type PresenceRedis = Redis & {
  clusterRefresh(life: string, beat: string, members: string, lifeId: string, ttl: number, id: string): Promise<string>;
  clusterLeave(life: string, beat: string, members: string, id: string): Promise<number>;
};

/**
 * Knows whether this instance began a new cluster life (no live instance was running) or joined
 * a running cluster (a rolling restart). Only the first case sends SERVER_RESTART triggers: one
 * instance restarting beside others must not set off a trigger storm, and a restart after every
 * instance crashed must not be skipped.
 *
 * A crashed instance's presence lingers in Redis until its TTL, so presence alone cannot tell a
 * live peer from a dead one. A joiner therefore watches the life's beat: a live member bumps it
 * within `refreshMs`; a dead cluster's life expires within `ttlMs` and the joiner claims a new one
 * with SET NX (of two joiners racing, exactly one wins; the other joins its life). Joining costs
 * at most one refresh period beside a live peer, and at most one TTL after a crash of every
 * instance.
 */
export class ClusterPresence {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The life this instance belongs to once joined (its own id when it began it). */
  lifeId: string | undefined;

  constructor(
    private readonly redis: Redis,
    readonly instanceId: string,
    private readonly timing: ClusterTiming,
  ) {
    if (!("clusterRefresh" in redis)) {
      redis.defineCommand("clusterRefresh", { numberOfKeys: 3, lua: REFRESH_SCRIPT });
      redis.defineCommand("clusterLeave", { numberOfKeys: 3, lua: LEAVE_SCRIPT });
    }
  }

  private get r(): PresenceRedis {
    return this.redis as PresenceRedis;
  }

  /**
   * Joins; true when this instance began a new cluster life (then it owes SERVER_RESTART).
   * While Redis cannot be reached it keeps trying (with backoff) until it can or leave() is called.
   */
  async join(onRetry: (err: Error) => void = () => undefined): Promise<boolean> {
    let first = false;
    for (let wait = Math.max(10, Math.floor(this.timing.refreshMs / 2)); !this.closed;) {
      try {
        first = await this.decide();
        break;
      } catch (err) {
        onRetry(err as Error);
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 5 * this.timing.refreshMs);
      }
    }
    if (this.closed) return first;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.timing.refreshMs);
    this.timer.unref();
    return first;
  }

  private async decide(): Promise<boolean> {
    const pollMs = Math.max(10, Math.floor(this.timing.refreshMs / 4));
    let seenBeat: string | null | undefined;
    while (!this.closed) {
      if ((await this.redis.set(LIFE_KEY, this.instanceId, "PX", this.timing.ttlMs, "NX")) === "OK") {
        this.lifeId = this.instanceId;
        return true;
      }
      const [life, beat] = await this.redis.mget(LIFE_KEY, BEAT_KEY);
      if (life === null) continue; // it expired between the two reads: claim again
      if (seenBeat === undefined) seenBeat = beat;
      else if (beat !== null && beat !== seenBeat) {
        this.lifeId = life; // a live member refreshed since this instance looked: a running cluster
        return false;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return false;
  }

  private async refresh(): Promise<void> {
    if (this.closed || this.lifeId === undefined) return;
    this.lifeId = await this.r.clusterRefresh(
      LIFE_KEY,
      BEAT_KEY,
      MEMBERS_KEY,
      this.lifeId,
      this.timing.ttlMs,
      this.instanceId,
    );
  }

  /** Leaves; the last live instance out ends the cluster's life, so the next start is a restart. */
  async leave(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    if (this.lifeId === undefined) return;
    await this.r.clusterLeave(LIFE_KEY, BEAT_KEY, MEMBERS_KEY, this.instanceId);
  }
}
