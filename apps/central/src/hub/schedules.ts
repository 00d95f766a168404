import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import {
  DEFAULT_SCHEDULE_CRON,
  NotFoundError,
  StateConflictError,
  ValidationError,
  type Schedule,
  type ScheduleRequest,
} from "@tillsync/shared";

import type { SyncRunStore } from "../store/sync-runs";
import type { RunRequest, SyncRuns } from "./sync-runs";

const SCHEDULES_KEY = "hub:schedules";
export const SCHEDULED_SYNC_JOB = "scheduled-sync";

interface StoredSchedule {
  id: string;
  cron: string;
  paused: boolean;
  createdAt: string;
}

const schedulerKey = (id: string): string => `schedule:${id}`;

/**
 * Sync schedules (SPEC §4): each is a BullMQ job scheduler with a cron pattern in UTC, so it
 * fires once per cluster whichever instance runs it. BullMQ has no paused scheduler, so a
 * paused schedule keeps its definition here and has no scheduler until it is resumed.
 */
export class ScheduleService {
  constructor(
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly runs: SyncRuns,
    private readonly runStore: Pick<SyncRunStore, "lastOfSchedules">,
    /** Retries and attempt timeout of a schedule's runs. */
    private readonly retry: Pick<RunRequest, "retries" | "attemptTimeoutS">,
  ) {}

  /** The schedule's cron fired: a SCHEDULED run of every active terminal; answers its id. */
  async fire(scheduleId: string): Promise<string> {
    return this.runs.start({ type: "SCHEDULED", syncType: "FULL", scheduleId, ...this.retry });
  }

  private async load(id: string): Promise<StoredSchedule> {
    const raw = await this.redis.hget(SCHEDULES_KEY, id);
    if (!raw) throw new NotFoundError(`schedule ${id} does not exist; GET /api/sync/schedules lists them`);
    return JSON.parse(raw) as StoredSchedule;
  }

  private async save(s: StoredSchedule): Promise<void> {
    await this.redis.hset(SCHEDULES_KEY, s.id, JSON.stringify(s));
  }

  private async arm(s: StoredSchedule): Promise<void> {
    try {
      await this.queue.upsertJobScheduler(
        schedulerKey(s.id),
        { pattern: s.cron, tz: "UTC" },
        { name: SCHEDULED_SYNC_JOB, data: { scheduleId: s.id } },
      );
    } catch (err) {
      throw new ValidationError(`invalid schedule: cron: ${(err as Error).message}`);
    }
  }

  async list(): Promise<Schedule[]> {
    const all = Object.values(await this.redis.hgetall(SCHEDULES_KEY)).map((v) => JSON.parse(v) as StoredSchedule);
    const out: Schedule[] = [];
    const last = await this.runStore.lastOfSchedules(all.map((s) => s.id));
    for (const s of all.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
      const sched = s.paused ? undefined : await this.queue.getJobScheduler(schedulerKey(s.id));
      out.push({
        id: s.id,
        cron: s.cron,
        tz: "UTC",
        paused: s.paused,
        createdAt: s.createdAt,
        nextRunAt: sched?.next ? new Date(sched.next).toISOString() : null,
        lastRun: last.get(s.id) ?? null,
      });
    }
    return out;
  }

  private async view(id: string): Promise<Schedule> {
    const s = (await this.list()).find((x) => x.id === id);
    if (!s) throw new NotFoundError(`schedule ${id} does not exist`);
    return s;
  }

  /** Applies one POST /api/sync/schedules action; answers the schedule it concerns. */
  async apply(
    req: ScheduleRequest,
    by: string | null = null,
  ): Promise<{ schedule?: Schedule; runId?: string; deleted?: string }> {
    switch (req.action) {
      case "create": {
        const s: StoredSchedule = {
          id: req.scheduleId ?? randomUUID(),
          cron: req.cron ?? DEFAULT_SCHEDULE_CRON,
          paused: false,
          createdAt: new Date().toISOString(),
        };
        if (await this.redis.hexists(SCHEDULES_KEY, s.id))
          throw new StateConflictError(`schedule ${s.id} already exists`);
        await this.arm(s);
        await this.save(s);
        return { schedule: await this.view(s.id) };
      }
      case "pause": {
        const s = await this.load(req.scheduleId);
        await this.queue.removeJobScheduler(schedulerKey(s.id));
        await this.save({ ...s, paused: true });
        return { schedule: await this.view(s.id) };
      }
      case "resume": {
        const s = await this.load(req.scheduleId);
        await this.arm(s);
        await this.save({ ...s, paused: false });
        return { schedule: await this.view(s.id) };
      }
      case "delete": {
        const s = await this.load(req.scheduleId);
        await this.queue.removeJobScheduler(schedulerKey(s.id));
        await this.redis.hdel(SCHEDULES_KEY, s.id);
        return { deleted: s.id };
      }
      case "trigger-manual": {
        if (req.scheduleId) await this.load(req.scheduleId);
        // An operator asked for it: MANUAL (with the schedule's retries), shown as the schedule's last run.
        const run = { type: "MANUAL", syncType: "FULL", scheduleId: req.scheduleId, requestedBy: by } as const;
        return { runId: await this.runs.start({ ...run, ...this.retry }) };
      }
    }
  }
}
