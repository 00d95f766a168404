import type { HubHealthColour } from "@tillsync/shared/browser";

/** Health colours always travel with words (never colour alone), in a fixed order. */
export const HEALTH_ORDER: readonly HubHealthColour[] = ["green", "yellow", "red", "gray"];

export const HEALTH_LABEL: Record<HubHealthColour, string> = {
  green: "Healthy",
  yellow: "Delayed or paused",
  red: "Failing or stopped",
  gray: "Disabled or never synced",
};
