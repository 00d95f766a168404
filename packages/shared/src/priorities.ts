/** Sync priorities of SPEC §2: higher numbers move first. */
export const Priority = {
  CRITICAL: 10,
  HIGH_ORDER: 9,
  HIGH: 8,
  MEDIUM_HIGH: 7,
  MEDIUM_CUSTOMER: 6,
  MEDIUM: 5,
  LOW_HIGH: 4,
  LOW: 3,
  BACKGROUND: 1,
} as const;

export type PriorityBand = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "BACKGROUND";

/** The band a numeric priority belongs to; the band decides how often it is pushed. */
export function priorityBand(priority: number): PriorityBand {
  if (priority >= 10) return "CRITICAL";
  if (priority >= 8) return "HIGH";
  if (priority >= 5) return "MEDIUM";
  if (priority >= 3) return "LOW";
  return "BACKGROUND";
}

/**
 * How many sync cycles pass between pushes of a band: CRITICAL goes at once (0), HIGH every
 * cycle, MEDIUM every 2nd, LOW every 5th; BACKGROUND only on demand (Infinity).
 */
export const BAND_CYCLE_EVERY: Record<PriorityBand, number> = {
  CRITICAL: 0,
  HIGH: 1,
  MEDIUM: 2,
  LOW: 5,
  BACKGROUND: Number.POSITIVE_INFINITY,
};
