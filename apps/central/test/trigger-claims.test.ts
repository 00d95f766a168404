import { Redis } from "ioredis";
import { TEST_REDIS_URL, testRedisPrefix } from "@tillsync/testkit";
import { ClusterPresence } from "../src/hub/cluster-presence";
import { TriggerStore, type SyncTrigger } from "../src/hub/trigger-store";

const timing = { ttlMs: 5_000, refreshMs: 1_000 };
const trigger = (terminalId: string): SyncTrigger => ({
  type: "INCREMENTAL",
  terminalId: terminalId as SyncTrigger["terminalId"],
  timestamp: new Date().toISOString(),
  reason: "DATA_CHANGED",
});

/**
 * The claim on a terminal's delivery against real Redis: one live job per terminal across
 * instances, but a claim left by an instance that is no live member never blocks the next trigger.
 */
describe("trigger delivery claims", () => {
  const prefix = testRedisPrefix("claims");
  const redis = new Redis(TEST_REDIS_URL, { keyPrefix: `${prefix}:` });
  const presences: ClusterPresence[] = [];

  async function liveInstance(id: string): Promise<TriggerStore> {
    const p = new ClusterPresence(redis, id, timing);
    presences.push(p);
    await p.join();
    return new TriggerStore(redis, 60_000, id);
  }

  afterEach(async () => {
    for (const p of presences.splice(0)) await p.leave();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length + 1)));
  });
  afterAll(() => redis.disconnect());

  it("leaves a live instance's claim alone: the second trigger merges and enqueues nothing", async () => {
    const a = await liveInstance("a");
    const b = await liveInstance("b");
    const job = await a.put(trigger("t1"));
    expect(job).not.toBeNull();
    expect(await b.put(trigger("t1"))).toBeNull();
    expect(await b.claimIfPending("t1")).toBeNull();
    expect(await a.owns("t1", job!)).toBe(true);
  });

  it("takes a claim whose instance is not a live member, and the dead job then knows it is superseded", async () => {
    const dead = new TriggerStore(redis, 60_000, "crashed"); // never joined, or its presence expired
    const deadJob = await dead.put(trigger("t1"));
    const live = await liveInstance("live");
    const job = await live.put(trigger("t1"));
    expect(job).not.toBeNull();
    expect(await live.owns("t1", job!)).toBe(true);
    expect(await dead.owns("t1", deadJob!)).toBe(false);
    // The superseded job releasing on its way out does not drop the live job's claim.
    await dead.release("t1", deadJob!);
    expect(await dead.releaseIfDone("t1", deadJob!)).toBe(false); // still pending: not done
    expect(await live.owns("t1", job!)).toBe(true);
  });

  it("takes a claim on connect (claimIfPending) once its instance's presence has expired", async () => {
    const gone = new TriggerStore(redis, 60_000, "gone");
    await gone.put(trigger("t2"));
    // What a SIGKILLed member leaves: its entry, scored by an expiry that has passed.
    await redis.zadd("hub:cluster:members", Date.now() - 1_000, "gone");
    const live = await liveInstance("live");
    const job = await live.claimIfPending("t2");
    expect(job).not.toBeNull();
    expect(await live.owns("t2", job!)).toBe(true);
  });

  it("does not take its own instance's claim: one job per terminal also before presence is joined", async () => {
    const self = new TriggerStore(redis, 60_000, "booting");
    expect(await self.put(trigger("t3"))).not.toBeNull();
    expect(await self.put(trigger("t3"))).toBeNull();
  });
});
