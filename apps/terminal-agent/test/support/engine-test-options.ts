import type { EngineOptions } from "../../src/sync/engine-options";
import { BREAKER_DEFAULTS, fullJitterBackoff } from "../../src/sync/sync-state-machine";

/** An engine that runs only when the test calls runCycle (hour-long interval and watch). */
export const ENGINE_TEST_OPTIONS: EngineOptions = {
  batchSize: 10,
  intervalMs: 3_600_000,
  pullLimit: 100,
  watchMs: 3_600_000,
  machine: {
    breakerThreshold: 5,
    breakerWindowMs: BREAKER_DEFAULTS.windowMs,
    breakerFirstCooldownMs: BREAKER_DEFAULTS.firstCooldownMs,
    breakerCooldownMs: 300_000,
    backoff: fullJitterBackoff(1_000, 60_000),
  },
  rejectRetry: { maxAttempts: 3, backoffBaseMs: 1_000, backoffCapMs: 60_000 },
};
