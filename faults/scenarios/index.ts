import type { Scenario } from "../lib/scenario";
import { baseline } from "./baseline";

/** Every scenario, in the order the suite runs them. */
export const SCENARIOS: Scenario[] = [baseline];
