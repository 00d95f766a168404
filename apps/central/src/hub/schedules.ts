import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import {
  DEFAULT_SCHEDULE_ATTEMPT_TIMEOUT_S,
  DEFAULT_SCHEDULE_CRON,
  DEFAULT_SCHEDULE_RETRIES,
  NotFoundError,
  StateConflictError,
  ValidationError,
  type Schedule,
  type ScheduleRequest,
} from "@tillsync/shared";
import type { SyncRunStore } from "../store/sync-runs";
import type { StoredSchedule, SyncScheduleStore } from "../store/sync-schedules";
import type { SyncRuns } from "./sync-runs";

export const SCHEDULED_SYNC_JOB = "scheduled-sync";
/** Where schedules lived before PostgreSQL held them: imported once, then deleted. */
const LEGACY_SCHEDULES_KEY = "hub:schedules";
const SCHEDULER_PREFIX = "schedule:";
const schedulerKey = (id: string): string => `${SCHEDULER_PREFIX}${id}`;

/** The id of the schedule created on first start (DEFAULT_SCHEDULE). */
export const DEFAULT_SCHEDULE_ID = "default";

/** An IANA zone name Node knows, or a 400 naming it: a zone is honoured or refused, never dropped. */
export function checkTimeZone(tz: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new ValidationError(`invalid schedule: tz: ${tz} is not an IANA time zone (e.g. UTC, Europe/Paris)`);
  }
}

/**
 * Sync schedules (SPEC §4). PostgreSQL holds them (sync_schedules); each one not paused has a
 * BullMQ job scheduler with its cron pattern and zone, so it fires once per cluster whichever
 * instance runs it. `reconcile()` makes Redis match PostgreSQL again: at start, and when Redis
 * came back empty (issue 11 defect 6). A firing starts a SCHEDULED run with the schedule's
 * retries and attempt timeout; trigger-manual starts a MANUAL one.
 */
export class ScheduleService {
  constructor(
    private readonly deps: {
      redis: Redis;
      queue: Queue;
      runs: SyncRuns;
      store: SyncScheduleStore;
      runStore: Pick<SyncRunStore, "lastOfSchedules">;
    },
  ) {}

  /** The schedule's cron fired: a SCHEDULED run of every active terminal; answers its id (none when it was deleted). */
  async fire(scheduleId: string): Promise<string | undefined> {
    const s = await this.deps.store.get(scheduleId);
    if (!s || s.paused) return undefined; // a scheduler left over from a deleted or paused schedule
    return this.deps.runs.start({
      type: "SCHEDULED",
      syncType: "FULL",
      scheduleId,
      retries: s.retries,
      attemptTimeoutS: s.attemptTimeoutS,
    });
  }

  private async load(id: string): Promise<StoredSchedule> {
    const s = await this.deps.store.get(id);
    if (!s) throw new NotFoundError(`schedule ${id} does not exist; GET /api/sync/schedules lists them`);
    return s;
  }

  private async arm(s: StoredSchedule): Promise<void> {
    try {
      await this.deps.queue.upsertJobScheduler(
        schedulerKey(s.id),
        { pattern: s.cron, tz: s.tz },
        { name: SCHEDULED_SYNC_JOB, data: { scheduleId: s.id } },
      );
    } catch (err) {
      throw new ValidationError(`invalid schedule: cron: ${(err as Error).message}`);
    }
  }

  /** Makes Redis' job schedulers match PostgreSQL: arms every schedule not paused, removes the rest. */
  async reconcile(): Promise<number> {
    await this.importLegacy();
    const all = await this.deps.store.list();
    const armed = new Set<string>();
    for (const s of all) {
      if (s.paused) continue;
      await this.arm(s).catch(() => undefined); // a stored cron BullMQ refuses now: listed with no next run
      armed.add(schedulerKey(s.id));
    }
    for (const j of await this.deps.queue.getJobSchedulers(0, -1)) {
      if (j.key.startsWith(SCHEDULER_PREFIX) && !armed.has(j.key)) await this.deps.queue.removeJobScheduler(j.key);
    }
    return armed.size;
  }

  /** Schedules of a version that kept them in a Redis hash move to PostgreSQL once. */
  private async importLegacy(): Promise<void> {
    const legacy = await this.deps.redis.hgetall(LEGACY_SCHEDULES_KEY);
    for (const raw of Object.values(legacy)) {
      const s = JSON.parse(raw) as { id: string; cron: string; paused: boolean };
      await this.deps.store.insert({ ...s, tz: "UTC", ...defaults() });
    }
    if (Object.keys(legacy).length) await this.deps.redis.del(LEGACY_SCHEDULES_KEY);
  }

  /** On first start: the default schedule with `cron` (DEFAULT_SCHEDULE), once per database. */
  async createDefault(cron: string): Promise<boolean> {
    const s = { id: DEFAULT_SCHEDULE_ID, cron, tz: "UTC", paused: false, ...defaults() };
    return this.deps.store.createDefaultOnce(s); // reconcile() arms it
  }

  async list(): Promise<Schedule[]> {
    const all = await this.deps.store.list();
    const last = await this.deps.runStore.lastOfSchedules(all.map((s) => s.id));
    const out: Schedule[] = [];
    for (const s of all) {
      const sched = s.paused ? undefined : await this.deps.queue.getJobScheduler(schedulerKey(s.id));
      out.push({
        id: s.id,
        cron: s.cron,
        tz: s.tz,
        paused: s.paused,
        retries: s.retries,
        attemptTimeoutS: s.attemptTimeoutS,
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

  private async create(req: Extract<ScheduleRequest, { action: "create" }>): Promise<Schedule> {
    const s = {
      id: req.scheduleId ?? randomUUID(),
      cron: req.cron ?? DEFAULT_SCHEDULE_CRON,
      tz: checkTimeZone(req.tz ?? "UTC"),
      paused: false,
      retries: req.retries ?? DEFAULT_SCHEDULE_RETRIES,
      attemptTimeoutS: req.attemptTimeoutS ?? DEFAULT_SCHEDULE_ATTEMPT_TIMEOUT_S,
    };
    if (!(await this.deps.store.insert(s))) throw new StateConflictError(`schedule ${s.id} already exists`);
    try {
      await this.arm({ ...s, createdAt: "" });
    } catch (err) {
      await this.deps.store.delete(s.id);
      throw err;
    }
    return this.view(s.id);
  }

  /**
   * New cron, zone, retries or attempt timeout. The scheduler is re-armed first (a cron BullMQ
   * refuses is a 400 and changes nothing); a paused schedule's cron is checked on a probe
   * scheduler that is removed at once.
   */
  private async update(req: Extract<ScheduleRequest, { action: "update" }>): Promise<Schedule> {
    const old = await this.load(req.scheduleId);
    const next = {
      ...old,
      cron: req.cron ?? old.cron,
      tz: req.tz === undefined ? old.tz : checkTimeZone(req.tz),
      retries: req.retries ?? old.retries,
      attemptTimeoutS: req.attemptTimeoutS ?? old.attemptTimeoutS,
    };
    if (!old.paused) await this.arm(next);
    else {
      const probe = { ...next, id: `probe-${randomUUID()}` };
      await this.arm(probe);
      await this.deps.queue.removeJobScheduler(schedulerKey(probe.id));
    }
    await this.deps.store.update(next);
    return this.view(old.id);
  }

  /** Applies one POST /api/sync/schedules action; answers the schedule it concerns. */
  async apply(
    req: ScheduleRequest,
    by: string | null = null,
  ): Promise<{ schedule?: Schedule; runId?: string; deleted?: string }> {
    const { store, queue } = this.deps;
    switch (req.action) {
      case "create":
        return { schedule: await this.create(req) };
      case "update":
        return { schedule: await this.update(req) };
      case "pause": {
        // PostgreSQL first: a reconcile in between must not re-arm a schedule being paused.
        const s = (await store.setPaused(req.scheduleId, true)) ?? (await this.load(req.scheduleId));
        await queue.removeJobScheduler(schedulerKey(s.id));
        return { schedule: await this.view(s.id) };
      }
      case "resume": {
        const s = await this.load(req.scheduleId);
        await this.arm(s);
        await store.setPaused(s.id, false);
        return { schedule: await this.view(s.id) };
      }
      case "delete": {
        if (!(await store.delete(req.scheduleId))) await this.load(req.scheduleId);
        await queue.removeJobScheduler(schedulerKey(req.scheduleId));
        return { deleted: req.scheduleId };
      }
      case "trigger-manual": {
        const s = req.scheduleId ? await this.load(req.scheduleId) : undefined;
        // An operator asked for it: MANUAL (with the schedule's retries), shown as the schedule's last run.
        const runId = await this.deps.runs.start({
          type: "MANUAL",
          syncType: "FULL",
          scheduleId: s?.id ?? null,
          requestedBy: by,
          ...(s ? { retries: s.retries, attemptTimeoutS: s.attemptTimeoutS } : defaults()),
        });
        return { runId };
      }
    }
  }
}

function defaults(): { retries: number; attemptTimeoutS: number } {
  return { retries: DEFAULT_SCHEDULE_RETRIES, attemptTimeoutS: DEFAULT_SCHEDULE_ATTEMPT_TIMEOUT_S };
}
