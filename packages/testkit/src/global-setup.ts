import { randomBytes } from "node:crypto";
import { ensureServices, type LocalServices } from "./local-services";
import { DEFAULT_TEST_PG_URL, DEFAULT_TEST_REDIS_URL } from "./test-database";

/**
 * jest's globalSetup for every workspace (jest.preset.js). Two jobs:
 *
 * 1. SPEC §6: the tests use PostgreSQL and Redis at TEST_DATABASE_URL / TEST_REDIS_URL (or the
 *    defaults) and, where nothing answers there, an embedded PostgreSQL and a local
 *    redis-server started here. The URLs of what was started go into the environment, which
 *    the test workers inherit (and the fixtures read: test-database.ts).
 * 2. A run id for the Redis prefixes (redis-prefix.ts), so the global teardown can find what
 *    this run left behind on a Redis that other runs share.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TILLSYNC_TEST_RUN ??= `run-${randomBytes(4).toString("hex")}`;
  const services = await ensureServices({
    postgresUrl: process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_PG_URL,
    redisUrl: process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL,
    names: { postgres: "TEST_DATABASE_URL", redis: "TEST_REDIS_URL" },
    // Quiet when the usual services answer; say so when the suite starts its own.
    log: (line) => (/^starting/.test(line) ? console.log(`\n[tillsync tests] ${line}`) : undefined),
  });
  process.env.TEST_DATABASE_URL = services.postgresUrl;
  process.env.TEST_REDIS_URL = services.redisUrl;
  (globalThis as { __tillsyncServices?: LocalServices }).__tillsyncServices = services;
}
