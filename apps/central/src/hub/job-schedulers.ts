import type { Queue } from "bullmq";
import type { HubTunables } from "../config";
import type { ScheduleService } from "./schedules";

/**
 * The hub's job schedulers: the heartbeat sweep, the daily cleanup and one per schedule of
 * PostgreSQL. Upserts are idempotent, so every instance declares them at start (one job runs
 * per tick), and the instance that notices an emptied Redis declares them again.
 */
export async function declareJobSchedulers(
  jobs: Queue,
  t: Pick<HubTunables, "sweepEveryMs" | "cleanupCron">,
  schedules: Pick<ScheduleService, "reconcile">,
): Promise<void> {
  await jobs.upsertJobScheduler("heartbeat-sweep", { every: t.sweepEveryMs }, { name: "heartbeat-sweep" });
  // "cleanup": the job's name in Redis since the first version; renaming it would leave the
  // old scheduler running beside the new one in an upgraded cluster.
  await jobs.upsertJobScheduler("cleanup", { pattern: t.cleanupCron, tz: "UTC" }, { name: "cleanup" });
  await schedules.reconcile();
}
