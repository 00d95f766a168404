import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

/** One JSON line per event on stdout (or `destination`: tests read the lines); `level` is LOG_LEVEL. */
export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  destination?: DestinationStream,
): Logger {
  const options = { level, base: { service: "tillsync-central", ...bindings } };
  return destination ? pino(options, destination) : pino(options);
}
