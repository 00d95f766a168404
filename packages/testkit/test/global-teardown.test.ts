import { Redis } from "ioredis";
import globalTeardown from "../src/global-teardown";
import { listRedisKeys, TEST_REDIS_URL, testRedisPrefix } from "../src";

describe("the suite's global teardown", () => {
  const redis = new Redis(TEST_REDIS_URL);
  const run = process.env.TILLSYNC_TEST_RUN;
  // A run of its own, so the check sees only what this test writes.
  beforeEach(() => void (process.env.TILLSYNC_TEST_RUN = `run-teardown-${process.pid}`));
  afterEach(() => void (process.env.TILLSYNC_TEST_RUN = run));
  afterAll(() => redis.quit());

  it("fails the run naming the keys it left without expiry, and removes them", async () => {
    const prefix = testRedisPrefix("leaky");
    await redis.set(`${prefix}:forever`, "1");
    await redis.set(`${prefix}:expiring`, "1", "PX", 60_000);
    await expect(globalTeardown()).rejects.toThrow(
      new RegExp(`left 1 Redis key\\(s\\) without expiry[\\s\\S]*${prefix}:forever`),
    );
    expect(await listRedisKeys(prefix)).toEqual([]);
  });

  it("passes when the tests cleaned up", async () => {
    const prefix = testRedisPrefix("tidy");
    await redis.set(`${prefix}:expiring`, "1", "PX", 60_000);
    await expect(globalTeardown()).resolves.toBeUndefined();
    expect(await listRedisKeys(prefix)).toEqual([]);
  });
});
