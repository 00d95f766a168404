/** Sync priorities of SPEC §2: higher numbers move first. */
export const Priority = {
  CRITICAL: 10,
  /** A sale still open (PENDING): just below a completed one. */
  HIGH_ORDER: 9,
  HIGH: 8,
  /** Customers: above the catalogue, inside the MEDIUM band. */
  MEDIUM_CUSTOMER: 6,
  MEDIUM: 5,
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
 * Interval cycles between pushes of the bands that go on the interval: HIGH every cycle,
 * MEDIUM every 2nd, LOW every 5th. CRITICAL is not here because it goes at once, as soon as
 * it is committed; BACKGROUND only on demand (`sync`, `startup`, a FULL trigger).
 */
export const BAND_EVERY_NTH_CYCLE = { HIGH: 1, MEDIUM: 2, LOW: 5 } as const;
