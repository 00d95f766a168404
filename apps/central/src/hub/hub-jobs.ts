import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import type { AlertSink } from "../alerts/alert-sink";
import type { CentralConfig } from "../config";
import type { Logger } from "../observability/logger";
import type { HubMetrics } from "../observability/metrics";
import type { CentralStore } from "../store/central-store";
import { compactFeedAndExpireHistory, retentionDaysOf } from "./feed-compaction-and-retention";
import { heartbeatSweepJob } from "./heartbeat-sweep";
import { SCHEDULED_SYNC_JOB, type ScheduleService } from "./schedules";
import type { HubServer } from "./socket-server";
import { RUN_CHECK_JOB, type SyncRuns } from "./sync-runs";
import { keyRoom } from "./terminal-socket";
import type { SyncTrigger } from "./trigger-store";

/** The hub job that drops the sockets of keys whose grace period ended. */
export const KEY_EXPIRY_JOB = "key-expiry";

/** What the jobs of the "hub" queue act on. */
export interface HubJobContext {
  config: CentralConfig;
  store: Pick<CentralStore, "terminals" | "history" | "feed" | "sessions" | "runs" | "retention">;
  redis: Redis;
  metrics: HubMetrics;
  log: Logger;
  alerts?: AlertSink;
  io: HubServer;
  schedules: ScheduleService;
  runs: SyncRuns;
  /** Triggers every active terminal (the SERVER_RESTART round). */
  triggerActive(type: SyncTrigger["type"], reason: SyncTrigger["reason"]): Promise<string[]>;
  /** Told which terminals the heartbeat sweep just turned OFFLINE. */
  wentOffline(terminalIds: string[]): void;
}

/**
 * One job of the "hub" queue: the sweep, schedules, run checks, cleanup, key expiry and the
 * restart round. Whichever instance's worker takes it runs it, so each job reads its state
 * from PostgreSQL and Redis, never from the instance that queued it.
 */
export async function runHubJob(job: Job, ctx: HubJobContext): Promise<unknown> {
  const { config, store, metrics, redis, log } = ctx;
  metrics.jobRuns.inc({ job: job.name });
  switch (job.name) {
    case "server-restart":
      return (await ctx.triggerActive("FULL", "SERVER_RESTART")).length;
    case "heartbeat-sweep": {
      const offline = await heartbeatSweepJob({ store, redis, log, alerts: ctx.alerts, config });
      if (offline.length) ctx.wentOffline(offline);
      return offline.length;
    }
    case SCHEDULED_SYNC_JOB:
      return ctx.schedules.fire((job.data as { scheduleId: string }).scheduleId);
    case RUN_CHECK_JOB: {
      const { runId, attempt } = job.data as { runId: string; attempt: number };
      return ctx.runs.check(runId, attempt);
    }
    case "cleanup":
      return compactFeedAndExpireHistory(store, retentionDaysOf(config));
    case KEY_EXPIRY_JOB: {
      // The keys' grace period is over: auth refuses them already; their sockets go now.
      const { keyIds } = job.data as { keyIds: string[] };
      for (const keyId of keyIds) ctx.io.in(keyRoom(keyId)).disconnectSockets(true);
      return keyIds.length;
    }
    default:
      throw new Error(`unknown hub job ${job.name}`);
  }
}
