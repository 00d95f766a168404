import type { LocalServices } from "./local-services";
import { listRedisKeys, removeRedisPrefix, TEST_KEY_ROOT, testRunId } from "./redis-prefix";

/**
 * jest's globalTeardown (jest.preset.js): fails the run when its tests left Redis keys that
 * never expire (each fixture removes its prefix on teardown: test-central.ts), deletes them so
 * a shared Redis does not fill up, and stops the services global-setup.ts started.
 */
export default async function globalTeardown(): Promise<void> {
  const services = (globalThis as { __tillsyncServices?: LocalServices }).__tillsyncServices;
  try {
    const run = `${TEST_KEY_ROOT}:${testRunId()}`;
    const url = process.env.TEST_REDIS_URL;
    const forever = await listRedisKeys(run, { url, withoutExpiry: true });
    await removeRedisPrefix(run, url);
    if (forever.length > 0) {
      const sample = forever.slice(0, 10).join("\n  ");
      throw new Error(
        `the tests left ${forever.length} Redis key(s) without expiry (a fixture must remove its prefix on teardown):\n  ${sample}`,
      );
    }
  } finally {
    await services?.stop();
  }
}
