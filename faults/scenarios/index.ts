import type { Scenario } from "../lib/scenario";
import { agentCrash } from "./agent-crash";
import { baseline } from "./baseline";
import { centralCrash } from "./central-crash";
import { postgresRestart, redisRestart } from "./service-restarts";
import { partitionBlackhole, partitionDrop, partitionOneTill, partitionSlow } from "./partitions";

/** Every scenario, in the order the suite runs them. */
export const SCENARIOS: Scenario[] = [
  baseline,
  centralCrash,
  agentCrash,
  partitionDrop,
  partitionBlackhole,
  partitionSlow,
  partitionOneTill,
  postgresRestart,
  redisRestart,
];
