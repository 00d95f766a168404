import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { TEST_REDIS_URL } from "./test-database";

/**
 * Every test key lives under `tillsync-test:<run>:<label>:<random>`. The run part is set once
 * per `npm test` (jest's global setup, see global-setup.ts), so the global teardown can check
 * that nothing of this run is left behind without touching other runs on a shared Redis.
 */
export const TEST_KEY_ROOT = "tillsync-test";

/** The part of the prefix shared by every test of this run (`adhoc` outside jest's global setup). */
export function testRunId(): string {
  return process.env.TILLSYNC_TEST_RUN ?? "adhoc";
}

/** A Redis key prefix no other test uses; remove it with `removeRedisPrefix` on teardown. */
export function testRedisPrefix(label = "t"): string {
  return `${TEST_KEY_ROOT}:${testRunId()}:${label}:${randomBytes(4).toString("hex")}`;
}

/** SCAN's glob pattern for every key under `prefix:`, the prefix itself matched literally. */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:*`;
}

async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", prefixPattern(prefix), "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys;
}

async function withRedis<T>(url: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  await redis.connect();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** The keys under `prefix:`; with `withoutExpiry`, only those that would stay forever. */
export function listRedisKeys(prefix: string, opts: { url?: string; withoutExpiry?: boolean } = {}): Promise<string[]> {
  return withRedis(opts.url ?? TEST_REDIS_URL, async (redis) => {
    const keys = await scanKeys(redis, prefix);
    if (!opts.withoutExpiry) return keys;
    const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
    return keys.filter((_k, i) => ttls[i] === -1);
  });
}

/** Deletes every key under `prefix:` (what a test's central, queues and adapter wrote); returns how many. */
export function removeRedisPrefix(prefix: string, url = TEST_REDIS_URL): Promise<number> {
  return withRedis(url, async (redis) => {
    let removed = 0;
    const keys = await scanKeys(redis, prefix);
    for (let i = 0; i < keys.length; i += 500) removed += await redis.unlink(...keys.slice(i, i + 500));
    return removed;
  });
}
