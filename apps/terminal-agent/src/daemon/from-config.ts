import type { AgentConfig } from "../config";
import type { EngineOptions } from "../sync/engine-options";
import { BREAKER_DEFAULTS, fullJitterBackoff, type MachineOptions } from "../sync/sync-state-machine";
import { HttpCentralTransport } from "../transport/http-transport";

/**
 * The one place the parsed config becomes the parts' options: every tunable is read here and
 * nowhere else, so a new variable has one spot to be wired and one default (in config.ts).
 */

/** The HTTP transport to central, with SYNC_TIMEOUT and the connect/read deadlines. */
export function transportFromConfig(config: AgentConfig): HttpCentralTransport {
  return new HttpCentralTransport({
    baseUrl: config.CENTRAL_API_URL,
    key: config.CENTRAL_API_KEY,
    terminalId: config.TERMINAL_ID,
    timeoutMs: config.SYNC_TIMEOUT * 1000,
    timeouts: { connectMs: config.SYNC_CONNECT_TIMEOUT_MS, readMs: config.SYNC_READ_TIMEOUT_MS },
  });
}

export function engineOptionsFromConfig(config: AgentConfig): EngineOptions {
  return {
    batchSize: config.SYNC_BATCH_SIZE,
    intervalMs: config.SYNC_INTERVAL * 1000,
    pullLimit: config.SYNC_PULL_PAGE_SIZE,
    watchMs: config.SYNC_WATCH_MS,
    machine: {
      breakerThreshold: config.SYNC_BREAKER_THRESHOLD,
      breakerWindowMs: BREAKER_DEFAULTS.windowMs,
      breakerFirstCooldownMs: BREAKER_DEFAULTS.firstCooldownMs,
      breakerCooldownMs: config.SYNC_BREAKER_COOLDOWN_MS,
      backoff: fullJitterBackoff(config.SYNC_BACKOFF_BASE_MS, config.SYNC_BACKOFF_CAP_MS),
    },
    rejectRetry: {
      maxAttempts: config.SYNC_RETRY_ATTEMPTS,
      backoffBaseMs: config.SYNC_REJECT_BACKOFF_BASE_MS,
      backoffCapMs: config.SYNC_REJECT_BACKOFF_CAP_MS,
    },
  };
}

/** Engine options beyond the config: what a one-shot command or a test sets in code. */
export type EngineOverrides = Partial<Omit<EngineOptions, "machine">> & { machine?: Partial<MachineOptions> };

export function withEngineOverrides(base: EngineOptions, o: EngineOverrides): EngineOptions {
  return { ...base, ...o, machine: { ...base.machine, ...o.machine } };
}
