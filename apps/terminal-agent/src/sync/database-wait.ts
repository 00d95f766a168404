import type { DatabaseUnavailableError } from "@tillsync/shared";

/** Bounds on central's "ask again in": a lying or broken central neither floods nor silences the till. */
export const DATABASE_WAIT_MIN_S = 1;
export const DATABASE_WAIT_MAX_S = 30;
/** When central did not say (or said nonsense). */
export const DATABASE_WAIT_DEFAULT_S = 2;

/**
 * How long to wait after central answered that its database does not answer: what central
 * said, kept within [1 s, 30 s], times a jitter of 1–1.5 so a fleet told "2 s" at once does not
 * come back in one wave.
 */
export function databaseWaitMs(err: DatabaseUnavailableError, random: () => number = Math.random): number {
  const said = err.details?.retryAfterSeconds;
  const s =
    typeof said === "number" && Number.isFinite(said)
      ? Math.min(DATABASE_WAIT_MAX_S, Math.max(DATABASE_WAIT_MIN_S, said))
      : DATABASE_WAIT_DEFAULT_S;
  return Math.round(s * 1000 * (1 + random() / 2));
}
