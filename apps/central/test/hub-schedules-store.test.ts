import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { DEFAULT_SCHEDULE_CRON, scheduleListResponseSchema, type Schedule } from "@tillsync/shared";
import { bullConnection, queuePrefix } from "../src/hub/bull-connection";
import { useTestCentral } from "../testing";

const { central, pg } = useTestCentral("schedpg", { DEFAULT_SCHEDULE: DEFAULT_SCHEDULE_CRON });

const list = async (): Promise<Schedule[]> =>
  scheduleListResponseSchema.parse((await central.admin("GET", "/api/sync/schedules")).body).schedules;

/** The BullMQ job schedulers of this central's hub queue. */
async function schedulers(): Promise<string[]> {
  const q = new Queue("hub", {
    connection: bullConnection(central.config.REDIS_URL),
    prefix: queuePrefix(central.redisPrefix),
  });
  try {
    return (await q.getJobSchedulers(0, -1)).map((j) => j.key).filter((k) => k.startsWith("schedule:"));
  } finally {
    await q.close();
  }
}

describe("schedules in PostgreSQL", () => {
  it("creates the default schedule on first start, every six hours UTC, with retries 2 and 30 s attempts", async () => {
    const all = await list();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      id: "default",
      cron: "0 */6 * * *",
      tz: "UTC",
      paused: false,
      retries: 2,
      attemptTimeoutS: 30,
    });
    expect(new Date(all[0]!.nextRunAt!).getUTCHours() % 6).toBe(0);
    expect((await pg.query(`SELECT id FROM sync_schedules`)).rows).toEqual([{ id: "default" }]);
  });

  it("does not bring a deleted default schedule back on the next start", async () => {
    await central.admin("POST", "/api/sync/schedules", { action: "delete", scheduleId: "default" });
    const again = await central.startInstance();
    try {
      expect((await list()).map((s) => s.id)).not.toContain("default");
    } finally {
      await again.stop();
    }
  });

  it("honours tz (the next run is 09:00 in Tokyo, 00:00 UTC) and refuses an unknown zone with a 400 naming it", async () => {
    const c = await central.admin<{ schedule: Schedule }>("POST", "/api/sync/schedules", {
      action: "create",
      cron: "0 9 * * *",
      tz: "Asia/Tokyo",
      retries: 4,
      attemptTimeoutS: 45,
    });
    expect(c.status).toBe(201);
    expect(c.body.schedule).toMatchObject({ tz: "Asia/Tokyo", retries: 4, attemptTimeoutS: 45 });
    const next = new Date(c.body.schedule.nextRunAt!);
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([0, 0]);
    const bad = await central.admin<{ error: { message: string } }>("POST", "/api/sync/schedules", {
      action: "create",
      tz: "Mars/Olympus",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("Mars/Olympus");
    for (const body of [
      { retries: -1 },
      { retries: 11 },
      { attemptTimeoutS: 0 },
      { attemptTimeoutS: 1.5 },
      { color: "red" },
    ]) {
      expect((await central.admin("POST", "/api/sync/schedules", { action: "create", ...body })).status).toBe(400);
    }
    // Nothing half-created by the refusals.
    expect((await list()).filter((s) => s.tz !== "Asia/Tokyo")).toEqual([]);
    await central.admin("POST", "/api/sync/schedules", { action: "delete", scheduleId: c.body.schedule.id });
  });

  it("updates cron, zone, retries and attempt timeout; a refused value changes nothing", async () => {
    await central.admin("POST", "/api/sync/schedules", { action: "create", scheduleId: "upd", cron: "0 1 * * *" });
    const u = await central.admin<{ schedule: Schedule }>("POST", "/api/sync/schedules", {
      action: "update",
      scheduleId: "upd",
      cron: "30 8 * * *",
      tz: "Europe/Paris",
      retries: 5,
      attemptTimeoutS: 90,
    });
    expect(u.status).toBe(200);
    expect(u.body.schedule).toMatchObject({ cron: "30 8 * * *", tz: "Europe/Paris", retries: 5, attemptTimeoutS: 90 });
    const next = new Date(u.body.schedule.nextRunAt!);
    expect(next.getUTCMinutes()).toBe(30);
    expect([6, 7]).toContain(next.getUTCHours()); // 08:30 in Paris is 06:30 or 07:30 UTC
    for (const bad of [{ cron: "99 * * * *" }, { tz: "Nowhere/Land" }, { retries: 20 }, {}]) {
      const r = await central.admin("POST", "/api/sync/schedules", { action: "update", scheduleId: "upd", ...bad });
      expect({ bad, status: r.status }).toEqual({ bad, status: 400 });
    }
    expect((await list()).find((s) => s.id === "upd")).toMatchObject({
      cron: "30 8 * * *",
      tz: "Europe/Paris",
      retries: 5,
    });
    expect(
      (await central.admin("POST", "/api/sync/schedules", { action: "update", scheduleId: "none", retries: 1 })).status,
    ).toBe(404);
    // A paused schedule takes the change and stays without a scheduler (the probe is gone too).
    await central.admin("POST", "/api/sync/schedules", { action: "pause", scheduleId: "upd" });
    const p = await central.admin<{ schedule: Schedule }>("POST", "/api/sync/schedules", {
      action: "update",
      scheduleId: "upd",
      cron: "0 2 * * *",
    });
    expect(p.body.schedule).toMatchObject({ cron: "0 2 * * *", paused: true, nextRunAt: null });
    expect((await schedulers()).filter((k) => k.includes("upd") || k.includes("probe"))).toEqual([]);
    const run = await central.admin<{ runId: string }>("POST", "/api/sync/schedules", {
      action: "trigger-manual",
      scheduleId: "upd",
    });
    const r = await central.admin<{ retries: number; attemptTimeoutS: number }>(
      "GET",
      `/api/sync/runs/${run.body.runId}`,
    );
    expect(r.body).toMatchObject({ retries: 5, attemptTimeoutS: 90 });
    await central.admin("POST", "/api/sync/schedules", { action: "delete", scheduleId: "upd" });
  });

  it("keeps a refused cron out of PostgreSQL and Redis", async () => {
    const r = await central.admin("POST", "/api/sync/schedules", {
      action: "create",
      scheduleId: "bad",
      cron: "99 * * * *",
    });
    expect(r.status).toBe(400);
    expect((await pg.query(`SELECT id FROM sync_schedules WHERE id = 'bad'`)).rows).toEqual([]);
    expect(await schedulers()).not.toContain("schedule:bad");
  });

  it("re-creates job schedulers from PostgreSQL at start and removes those of deleted or paused schedules", async () => {
    await central.admin("POST", "/api/sync/schedules", { action: "create", scheduleId: "kept", cron: "0 1 * * *" });
    await central.admin("POST", "/api/sync/schedules", { action: "create", scheduleId: "held", cron: "0 2 * * *" });
    await central.admin("POST", "/api/sync/schedules", { action: "pause", scheduleId: "held" });
    // Redis drifted from PostgreSQL: kept's scheduler gone, a stray one and held's armed.
    const q = new Queue("hub", {
      connection: bullConnection(central.config.REDIS_URL),
      prefix: queuePrefix(central.redisPrefix),
    });
    try {
      await q.removeJobScheduler("schedule:kept");
      await q.upsertJobScheduler(
        "schedule:stray",
        { pattern: "0 4 * * *" },
        { name: "scheduled-sync", data: { scheduleId: "stray" } },
      );
      await q.upsertJobScheduler(
        "schedule:held",
        { pattern: "0 2 * * *" },
        { name: "scheduled-sync", data: { scheduleId: "held" } },
      );
    } finally {
      await q.close();
    }
    const again = await central.startInstance();
    try {
      expect((await schedulers()).sort()).toEqual(["schedule:kept"]);
      expect((await list()).find((s) => s.id === "held")).toMatchObject({ paused: true, nextRunAt: null });
    } finally {
      await again.stop();
    }
  });

  it("moves schedules an older version kept in a Redis hash into PostgreSQL", async () => {
    const r = new Redis(central.config.REDIS_URL, { keyPrefix: `${central.redisPrefix}:` });
    try {
      await r.hset(
        "hub:schedules",
        "legacy",
        JSON.stringify({ id: "legacy", cron: "0 5 * * *", paused: false, createdAt: new Date().toISOString() }),
      );
      const again = await central.startInstance();
      await again.stop();
      expect((await list()).find((s) => s.id === "legacy")).toMatchObject({ cron: "0 5 * * *", tz: "UTC", retries: 2 });
      expect(await r.exists("hub:schedules")).toBe(0);
    } finally {
      r.disconnect();
    }
  });
});
