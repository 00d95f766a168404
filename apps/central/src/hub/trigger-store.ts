import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { SocketPayload } from "@tillsync/shared";
import { MEMBERS_KEY } from "./cluster-presence";
import { OPEN_RUNS_KEY } from "./sync-runs";

export type SyncTrigger = SocketPayload<"sync:trigger">;

/**
 * The one pending trigger per terminal (the dedupe of SPEC §4), in Redis so every instance
 * sees it. Two keys per terminal:
 *
 *   pending:<id>  the trigger still to be acked; a new trigger merges into it (FULL wins,
 *                 the newest timestamp is kept so an ack for an older one does not clear it)
 *   owner:<id>    held while one delivery job works on this terminal, so there is never more
 *                 than one job per terminal, whichever instance enqueued it; its value is
 *                 "<instance id> <job id>"
 *
 * A claim outlives a SIGKILLed instance (its job dies with it, BullMQ only finds the job stalled
 * some 30 s later), and while it stands no trigger reaches that terminal: after central crashed,
 * tills waited for their interval instead of being told of new data. So a claim whose instance
 * is no live member of the cluster (hub:cluster:members, cluster-presence.ts) is free to take;
 * the cost of wrongly taking one (an instance that stalled past its presence TTL) is one emit too
 * many, never a lost trigger. A job whose claim was taken finds out and stops (owns()).
 *
 * Keys go through the client's keyPrefix (REDIS_PREFIX), also inside the Lua scripts.
 */

/**
 * Lua: takes KEYS[2] for ARGV owner when it is free or held by an instance that is not a live
 * member (KEYS[3], scored by expiry; an owner of this instance, ARGV[4], counts as live).
 */
const TAKE_CLAIM = `
local function take(owner, ttl, self)
  if redis.call('SET', KEYS[2], owner, 'NX', 'PX', ttl) then return 1 end
  local held = redis.call('GET', KEYS[2])
  local inst = held and string.match(held, '^(%S+)')
  if not inst or inst == self then return 0 end
  local score = redis.call('ZSCORE', KEYS[3], inst)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if score and tonumber(score) > now then return 0 end
  redis.call('SET', KEYS[2], owner, 'PX', ttl)
  return 1
end
`;

const MERGE_AND_CLAIM = `${TAKE_CLAIM}
local cur = redis.call('GET', KEYS[1])
local nxt = cjson.decode(ARGV[1])
if cur then
  local c = cjson.decode(cur)
  if c.type == 'FULL' and nxt.type ~= 'FULL' then
    nxt.type = 'FULL'
    nxt.reason = c.reason
  end
end
redis.call('SET', KEYS[1], cjson.encode(nxt))
return take(ARGV[2], ARGV[3], ARGV[4])`;

const CLAIM_IF_PENDING = `${TAKE_CLAIM}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return take(ARGV[1], ARGV[2], ARGV[3])`;

/**
 * Records the ack (acked:<id> = the trigger timestamp it covers) and clears the pending
 * trigger when the ack covers it (no timestamp, or one at least as new). A newer trigger that
 * merged in during the agent's cycle stays pending, and the delivery job sends it next. With
 * ARGV[3], a direct delivery's job id (TriggerDelivery.sendDirect): once nothing is pending,
 * that delivery's claim (KEYS[3]) goes too, if still its own (2), saving it a round trip. Also
 * answers how many runs are open (KEYS[4], scored until when their acks may come, ARGV[4] now):
 * an ack looks for its run parts only then (SyncRuns.onAck), and asking here saves each of a
 * price change's thousand acks a Redis round trip of its own.
 */
const ACK = `
local function ack()
  local cur = redis.call('GET', KEYS[1])
  if not cur then return 0 end
  local ts = cjson.decode(cur).timestamp
  if ARGV[1] ~= '' then ts = ARGV[1] end
  redis.call('SET', KEYS[2], ts, 'PX', ARGV[2])
  if cjson.decode(cur).timestamp > ts then return 0 end
  redis.call('DEL', KEYS[1])
  if ARGV[3] ~= '' and string.match(redis.call('GET', KEYS[3]) or '', ' (%S+)$') == ARGV[3] then
    redis.call('DEL', KEYS[3])
    return 2
  end
  return 1
end
local r = ack()
return {r, redis.call('ZCOUNT', KEYS[4], ARGV[4], '+inf')}`;

/**
 * Releases job ARGV[1]'s claim only if nothing is pending; otherwise the job must go on. The job
 * may run on another instance than the one that claimed for it: the job id alone names it.
 */
const RELEASE_IF_DONE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if string.match(redis.call('GET', KEYS[2]) or '', ' (%S+)$') == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1`;

/** Gives up the claim only if job ARGV[1] still holds it. */
const RELEASE = `
if string.match(redis.call('GET', KEYS[1]) or '', ' (%S+)$') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

export class TriggerStore {
  constructor(
    private readonly redis: Redis,
    /** A delivery job that dies silently loses its claim after this long (BullMQ retries stalled jobs well before). */
    private readonly claimTtlMs: number,
    /** This instance's id, as cluster presence lists it among the live members. */
    private readonly instanceId: string,
  ) {}

  private pendingKey(id: string): string {
    return `hub:trigger:pending:${id}`;
  }

  private ackedKey(id: string): string {
    return `hub:trigger:acked:${id}`;
  }

  private ownerKey(id: string): string {
    return `hub:trigger:owner:${id}`;
  }

  private owner(jobId: string): string {
    return `${this.instanceId} ${jobId}`;
  }

  /**
   * Records a trigger; when the caller got the claim, the id its delivery job must be enqueued
   * under (the claim names it), otherwise null (a live job delivers it).
   */
  async put(t: SyncTrigger): Promise<string | null> {
    const [r] = await this.putMany([t]);
    if (r instanceof Error) throw r;
    return r ?? null;
  }

  /**
   * `put` for many terminals in one pipeline (one write to Redis and one read, not one round trip
   * each: a DATA_CHANGED round put a thousand triggers one by one). Each script still runs alone
   * and atomically; per trigger, what `put` answers, or the error its script failed with.
   */
  async putMany(ts: readonly SyncTrigger[]): Promise<Array<string | null | Error>> {
    const pipe = this.redis.pipeline();
    const jobIds = ts.map((t) => {
      const jobId = randomUUID();
      pipe.eval(
        MERGE_AND_CLAIM,
        3,
        this.pendingKey(t.terminalId),
        this.ownerKey(t.terminalId),
        MEMBERS_KEY,
        JSON.stringify(t),
        this.owner(jobId),
        this.claimTtlMs,
        this.instanceId,
      );
      return jobId;
    });
    const results = (await pipe.exec()) ?? [];
    return jobIds.map((jobId, i) => {
      const [err, r] = results[i] ?? [new Error("no answer from Redis"), null];
      return err ?? (r === 1 ? jobId : null);
    });
  }

  /** Claims delivery of an already pending trigger (on connect); the job id to enqueue, or null. */
  async claimIfPending(terminalId: string): Promise<string | null> {
    const jobId = randomUUID();
    const r = await this.redis.eval(
      CLAIM_IF_PENDING,
      3,
      this.pendingKey(terminalId),
      this.ownerKey(terminalId),
      MEMBERS_KEY,
      this.owner(jobId),
      this.claimTtlMs,
      this.instanceId,
    );
    return r === 1 ? jobId : null;
  }

  /** Whether job `jobId` still holds the terminal's claim (it may have been taken from a dead instance's job). */
  async owns(terminalId: string, jobId: string): Promise<boolean> {
    const held = await this.redis.get(this.ownerKey(terminalId));
    return held !== null && held.endsWith(` ${jobId}`);
  }

  async pending(terminalId: string): Promise<SyncTrigger | undefined> {
    const v = await this.redis.get(this.pendingKey(terminalId));
    return v ? (JSON.parse(v) as SyncTrigger) : undefined;
  }

  /**
   * Records an ack: "cleared" when it cleared the pending trigger, "released" when it also
   * released the claim of direct delivery `directJobId`, "kept" when a trigger is still pending.
   */
  async ack(
    terminalId: string,
    timestamp: string | undefined,
    directJobId?: string,
  ): Promise<{ outcome: "kept" | "cleared" | "released"; runsOpen: boolean }> {
    const [r, open] = (await this.redis.eval(
      ACK,
      4,
      this.pendingKey(terminalId),
      this.ackedKey(terminalId),
      this.ownerKey(terminalId),
      OPEN_RUNS_KEY,
      timestamp ?? "",
      this.claimTtlMs,
      directJobId ?? "",
      Date.now(),
    )) as [number, number];
    return { outcome: r === 2 ? "released" : r === 1 ? "cleared" : "kept", runsOpen: open > 0 };
  }

  /** The newest trigger timestamp the terminal has acked (recently), if any. */
  async lastAck(terminalId: string): Promise<string | undefined> {
    return (await this.redis.get(this.ackedKey(terminalId))) ?? undefined;
  }

  /** True when job `jobId` is done (nothing pending; its claim, if still its own, released); false when another round is due. */
  async releaseIfDone(terminalId: string, jobId: string): Promise<boolean> {
    const r = await this.redis.eval(RELEASE_IF_DONE, 2, this.pendingKey(terminalId), this.ownerKey(terminalId), jobId);
    return r === 1;
  }

  /** Job `jobId` gives up its claim but keeps the trigger pending (terminal not connected, or retries exhausted). */
  async release(terminalId: string, jobId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.ownerKey(terminalId), jobId);
  }

  /** Drops a terminal's pending trigger (it was disabled). */
  async forget(terminalId: string): Promise<void> {
    await this.redis.del(this.pendingKey(terminalId), this.ownerKey(terminalId));
  }
}
