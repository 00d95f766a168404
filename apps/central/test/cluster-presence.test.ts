import { Redis } from "ioredis";
import { TEST_REDIS_URL, testRedisPrefix, waitFor, startPrivateRedis } from "@tillsync/testkit";
import { ClusterPresence } from "../src/hub/cluster-presence";

const timing = { ttlMs: 600, refreshMs: 100 };

describe("cluster presence", () => {
  const prefix = testRedisPrefix("presence");
  const redis = new Redis(TEST_REDIS_URL, { keyPrefix: `${prefix}:` });
  const members: ClusterPresence[] = [];
  const member = (id: string) => {
    const p = new ClusterPresence(redis, id, timing);
    members.push(p);
    return p;
  };

  afterEach(async () => {
    for (const m of members.splice(0)) await m.leave();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length + 1)));
  });
  afterAll(() => redis.disconnect());

  it("begins a life when no instance runs, and joins it beside a live member", async () => {
    expect(await member("a").join()).toBe(true);
    const b = member("b");
    expect(await b.join()).toBe(false);
    expect(b.lifeId).toBe("a");
  });

  it("begins a new life, exactly once, when two instances start together after every instance crashed", async () => {
    // What a SIGKILLed instance leaves behind: a life nobody refreshes any more.
    await redis.set("hub:cluster:life", "dead", "PX", timing.ttlMs);
    await redis.set("hub:cluster:beat", "41", "PX", timing.ttlMs);
    const results = await Promise.all([member("x").join(), member("y").join(), member("z").join()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const began = members[results.indexOf(true)]?.instanceId;
    expect(members.map((m) => m.lifeId)).toEqual([began, began, began]);
  });

  it("after a graceful leave of the last member, the next start is a new life at once", async () => {
    const a = member("a");
    await a.join();
    const b = member("b");
    await b.join();
    await a.leave();
    await b.leave();
    expect(await redis.exists("hub:cluster:life")).toBe(0);
    expect(await member("c").join()).toBe(true);
  });

  it("keeps trying to join while Redis is down, and begins the life once it is back", async () => {
    const server = await startPrivateRedis();
    const client = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    client.on("error", () => undefined);
    try {
      await server.stop();
      let retries = 0;
      const p = new ClusterPresence(client, "late", timing);
      const joined = p.join(() => void retries++);
      await waitFor(() => retries >= 2, { what: "join retried while Redis is down" });
      await server.start();
      expect(await joined).toBe(true);
      expect(await client.get("hub:cluster:life")).toBe("late");
      await p.leave();
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
