import type { Redis } from "ioredis";
import type { SocketPayload } from "@tillsync/shared";

export type SyncTrigger = SocketPayload<"sync:trigger">;

/**
 * The one pending trigger per terminal (the dedupe of SPEC §4), in Redis so every instance
 * sees it. Two keys per terminal:
 *
 *   pending:<id>  the trigger still to be acked; a new trigger merges into it (FULL wins,
 *                 the newest timestamp is kept so an ack for an older one does not clear it)
 *   owner:<id>    held while one delivery job works on this terminal, so there is never more
 *                 than one job per terminal, whichever instance enqueued it
 *
 * Keys go through the client's keyPrefix (REDIS_PREFIX), also inside the Lua scripts.
 */

const MERGE_AND_CLAIM = `
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
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0`;

const CLAIM_IF_PENDING = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

/**
 * Records the ack (acked:<id> = the trigger timestamp it covers) and clears the pending
 * trigger when the ack covers it (no timestamp, or one at least as new). A newer trigger that
 * merged in during the agent's cycle stays pending, and the delivery job sends it next.
 */
const ACK = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ts = cjson.decode(cur).timestamp
if ARGV[1] ~= '' then ts = ARGV[1] end
redis.call('SET', KEYS[2], ts, 'PX', ARGV[2])
if cjson.decode(cur).timestamp > ts then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/** Releases the owner only if nothing is pending; otherwise the job must go on. */
const RELEASE_IF_DONE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
return 1`;

export class TriggerStore {
  constructor(
    private readonly redis: Redis,
    /** A delivery job that dies silently loses its claim after this long (BullMQ retries stalled jobs well before). */
    private readonly claimTtlMs: number,
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

  /** Records a trigger; true when the caller must enqueue a delivery job (it got the claim). */
  async put(t: SyncTrigger): Promise<boolean> {
    const r = await this.redis.eval(
      MERGE_AND_CLAIM,
      2,
      this.pendingKey(t.terminalId),
      this.ownerKey(t.terminalId),
      JSON.stringify(t),
      "1",
      this.claimTtlMs,
    );
    return r === 1;
  }

  /** Claims delivery of an already pending trigger (on connect); true when a job must be enqueued. */
  async claimIfPending(terminalId: string): Promise<boolean> {
    return (
      (await this.redis.eval(
        CLAIM_IF_PENDING,
        2,
        this.pendingKey(terminalId),
        this.ownerKey(terminalId),
        "1",
        this.claimTtlMs,
      )) === 1
    );
  }

  async pending(terminalId: string): Promise<SyncTrigger | undefined> {
    const v = await this.redis.get(this.pendingKey(terminalId));
    return v ? (JSON.parse(v) as SyncTrigger) : undefined;
  }

  async ack(terminalId: string, timestamp: string | undefined): Promise<boolean> {
    return (
      (await this.redis.eval(
        ACK,
        2,
        this.pendingKey(terminalId),
        this.ackedKey(terminalId),
        timestamp ?? "",
        this.claimTtlMs,
      )) === 1
    );
  }

  /** The newest trigger timestamp the terminal has acked (recently), if any. */
  async lastAck(terminalId: string): Promise<string | undefined> {
    return (await this.redis.get(this.ackedKey(terminalId))) ?? undefined;
  }

  /** True when the owner was released (nothing pending); false when another round is due. */
  async releaseIfDone(terminalId: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE_IF_DONE, 2, this.pendingKey(terminalId), this.ownerKey(terminalId))) === 1;
  }

  /** Gives up the claim but keeps the trigger pending (terminal not connected, or retries exhausted). */
  async release(terminalId: string): Promise<void> {
    await this.redis.del(this.ownerKey(terminalId));
  }

  /** Drops a terminal's pending trigger (it was disabled). */
  async forget(terminalId: string): Promise<void> {
    await this.redis.del(this.pendingKey(terminalId), this.ownerKey(terminalId));
  }
}
