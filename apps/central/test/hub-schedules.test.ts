import { useTestCentral } from "../testing";
import { connectTestSocket, TerminalClient, waitFor } from "@tillsync/testkit";

interface Schedule {
  id: string;
  cron: string;
  tz: string;
  paused: boolean;
  nextRunAt: string | null;
}

const { central } = useTestCentral("hubsched");

/** /api/sync/schedules as BullMQ job schedulers, and /api/sync/status from heartbeats. */
describe("hub schedules and status", () => {
  const list = async () =>
    (await central.admin<{ schedules: Schedule[] }>("GET", "/api/sync/schedules")).body.schedules;

  it("creates no schedule on first start with DEFAULT_SCHEDULE=off (the fixture's setting)", async () => {
    expect(central.config.DEFAULT_SCHEDULE).toBe("off");
    expect(await list()).toEqual([]);
  });

  it("creates, lists, pauses, resumes, triggers and deletes a schedule", async () => {
    const t = await central.provisionTerminal();
    const s = connectTestSocket(central.url, t, { autoAck: true });
    await s.ready;
    try {
      const created = await central.admin<{ schedule: Schedule }>("POST", "/api/sync/schedules", { action: "create" });
      expect(created.status).toBe(201);
      const id = created.body.schedule.id;
      expect(created.body.schedule).toMatchObject({ cron: "0 */6 * * *", tz: "UTC", paused: false });
      // The next run is on a six-hour boundary, UTC.
      expect(new Date(created.body.schedule.nextRunAt!).getUTCHours() % 6).toBe(0);
      expect((await list()).map((x) => x.id)).toEqual([id]);

      const paused = await central.admin<{ schedule: Schedule }>("POST", "/api/sync/schedules", {
        action: "pause",
        scheduleId: id,
      });
      expect(paused.body.schedule).toMatchObject({ paused: true, nextRunAt: null });
      const resumed = await central.admin<{ schedule: Schedule }>("POST", "/api/sync/schedules", {
        action: "resume",
        scheduleId: id,
      });
      expect(resumed.body.schedule.paused).toBe(false);
      expect(resumed.body.schedule.nextRunAt).not.toBeNull();

      const fired = await central.admin<{ runId: string }>("POST", "/api/sync/schedules", {
        action: "trigger-manual",
        scheduleId: id,
      });
      expect(fired.status).toBe(200);
      // An operator asked for it: MANUAL, not SCHEDULED.
      await waitFor(() => s.triggers.find((x) => x.reason === "MANUAL" && x.type === "FULL"), {
        what: "MANUAL trigger",
      });
      const r = await central.admin<{ type: string; results: Array<{ terminalId: string }> }>(
        "GET",
        `/api/sync/runs/${fired.body.runId}`,
      );
      expect(r.body.type).toBe("MANUAL");
      expect(r.body.results.map((x) => x.terminalId)).toContain(t.terminalId);

      const deleted = await central.admin("POST", "/api/sync/schedules", { action: "delete", scheduleId: id });
      expect(deleted.status).toBe(200);
      expect(await list()).toEqual([]);
      expect((await central.admin("POST", "/api/sync/schedules", { action: "pause", scheduleId: id })).status).toBe(
        404,
      );
    } finally {
      s.close();
    }
  });

  it("creates with a custom cron and rejects malformed requests with 400", async () => {
    const c = await central.admin<{ schedule: Schedule }>("POST", "/api/sync/schedules", {
      action: "create",
      cron: "15 2 * * 1",
    });
    expect(c.body.schedule.cron).toBe("15 2 * * 1");
    await central.admin("POST", "/api/sync/schedules", { action: "delete", scheduleId: c.body.schedule.id });
    const bad = await central.admin<{ error: { message: string } }>("POST", "/api/sync/schedules", {
      action: "create",
      cron: "every hour",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/cron/);
    const badCron = await central.admin<{ error: { message: string } }>("POST", "/api/sync/schedules", {
      action: "create",
      cron: "99 * * * *",
    });
    expect(badCron.status).toBe(400);
    expect((await central.admin("POST", "/api/sync/schedules", { action: "explode" })).status).toBe(400);
    expect((await central.admin("POST", "/api/sync/schedules", { action: "pause" })).status).toBe(400);
  });

  it("reports /api/sync/status in the shape of SPEC §4, fed by heartbeats", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const hb = await till.raw("POST", "/api/sync/heartbeat", {
      terminalId: t.terminalId,
      status: "idle",
      outbox: {
        sale_orders: { pending: 3, failed: 1, synced: 10, conflicts: 0 },
        payments: { pending: 0, failed: 0, synced: 5, conflicts: 2 },
      },
    });
    expect(hb.status).toBe(200);
    const r = await central.admin<Record<string, unknown>>("GET", `/api/sync/status?terminalId=${t.terminalId}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      terminalId: t.terminalId,
      tables: {
        sale_orders: { pending: 3, failed: 1, synced: 10, conflicts: 0 },
        payments: { pending: 0, failed: 0, synced: 5, conflicts: 2 },
      },
      totals: { pending: 3, failed: 1, synced: 15, conflicts: 2 },
      summary: {
        totalTables: 6,
        tablesWithPending: 1,
        tablesWithFailed: 1,
        tablesWithSynced: 2,
        tablesWithConflicts: 1,
      },
    });
    const all = await central.admin<{ terminalId: null; totals: { synced: number } }>("GET", "/api/sync/status");
    expect(all.body.terminalId).toBeNull();
    expect(all.body.totals.synced).toBeGreaterThanOrEqual(15);
    expect((await central.admin("GET", "/api/sync/status?terminalId=nope")).status).toBe(400);
    expect(
      (await central.admin("GET", "/api/sync/status?terminalId=00000000-0000-4000-8000-000000000000")).status,
    ).toBe(404);
  });

  it("lists terminals with health colour, agent status and lag", async () => {
    type Row = { id: string; health: string; agentStatus: string | null; lag: number; status: string };
    const row = async (id: string) =>
      (await central.admin<{ terminals: Row[] }>("GET", "/api/terminals")).body.terminals.find((r) => r.id === id)!;
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    expect(await row(t.terminalId)).toMatchObject({ status: "OFFLINE", health: "gray", agentStatus: null });
    await central.admin("POST", "/api/products", {
      sku: `LAG-${t.terminalId.slice(0, 8)}`,
      name: "lag",
      priceCents: 1,
    });
    const page = (await till.raw("GET", "/api/sync/pull?since=0")).body as { nextCursor: string };
    expect((await row(t.terminalId)).lag).toBeGreaterThan(0);
    await till.raw("POST", "/api/sync/acknowledge", { terminalId: t.terminalId, cursor: page.nextCursor });
    await till.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "idle", outbox: {} });
    expect(await row(t.terminalId)).toMatchObject({ status: "ONLINE", health: "green", agentStatus: "idle", lag: 0 });
    await till.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "circuit-open", outbox: {} });
    expect((await row(t.terminalId)).health).toBe("red");
    await central.admin("POST", `/api/terminals/${t.terminalId}/disable`);
    expect((await row(t.terminalId)).health).toBe("gray");
  });
});
