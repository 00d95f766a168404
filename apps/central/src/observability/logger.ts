import pino, { type Logger } from "pino";

export type { Logger } from "pino";

/** One JSON line per event on stdout; `level` is LOG_LEVEL. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: "tillsync-central", ...bindings } });
}
