import { Redis } from "ioredis";
import { listRedisKeys, removeRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from "../src";

describe("Redis test prefixes", () => {
  const redis = new Redis(TEST_REDIS_URL);
  afterAll(() => redis.quit());

  it("removes every key under the prefix and nothing beside it", async () => {
    const prefix = testRedisPrefix("rp");
    const sibling = `${prefix}x`; // begins like the prefix, is not under it
    await redis.set(`${prefix}:a`, "1");
    await redis.hset(`${prefix}:bull:hub:meta`, "k", "v");
    await redis.set(`${prefix}:ttl`, "1", "PX", 60_000);
    await redis.set(`${sibling}:a`, "1");
    try {
      expect((await listRedisKeys(prefix)).sort()).toEqual([`${prefix}:a`, `${prefix}:bull:hub:meta`, `${prefix}:ttl`]);
      expect((await listRedisKeys(prefix, { withoutExpiry: true })).sort()).toEqual([
        `${prefix}:a`,
        `${prefix}:bull:hub:meta`,
      ]);
      expect(await removeRedisPrefix(prefix)).toBe(3);
      expect(await listRedisKeys(prefix)).toEqual([]);
      expect(await redis.exists(`${sibling}:a`)).toBe(1);
    } finally {
      await redis.del(`${sibling}:a`);
    }
  });

  it("matches glob characters in the prefix literally", async () => {
    const prefix = `${testRedisPrefix("rp")}*[x]`;
    const other = prefix.replace("*[x]", "zzz");
    await redis.set(`${prefix}:a`, "1");
    await redis.set(`${other}:a`, "1");
    try {
      expect(await removeRedisPrefix(prefix)).toBe(1);
      expect(await redis.exists(`${other}:a`)).toBe(1);
    } finally {
      await redis.del(`${other}:a`);
    }
  });

  it("puts every prefix of a run under the run's id", () => {
    expect(process.env.TILLSYNC_TEST_RUN).toMatch(/^run-[0-9a-f]{8}$/);
    expect(testRedisPrefix("x")).toMatch(new RegExp(`^tillsync-test:${process.env.TILLSYNC_TEST_RUN}:x:[0-9a-f]{8}$`));
  });
});
