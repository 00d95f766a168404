import type { Scenario } from "../lib/scenario";
import { agentCrash } from "./agent-crash";
import { baseline } from "./baseline";
import { centralCrash } from "./central-crash";
import { clockSkew } from "./clock-skew";
import { fullDisk } from "./full-disk";
import { harnessSelfTest } from "./harness-self-test";
import { longOffline } from "./long-offline";
import { batchBoundaries, loyaltyMerges } from "./merges-and-batches";
import { partitionBlackhole, partitionDrop, partitionOneTill, partitionSlow } from "./partitions";
import { postgresRestart, redisRestart } from "./service-restarts";

/** Every scenario, in the order the suite runs them. */
export const SCENARIOS: Scenario[] = [
  harnessSelfTest,
  baseline,
  centralCrash,
  agentCrash,
  partitionDrop,
  partitionBlackhole,
  partitionSlow,
  partitionOneTill,
  postgresRestart,
  redisRestart,
  longOffline,
  clockSkew,
  fullDisk,
  batchBoundaries,
  loyaltyMerges,
];
