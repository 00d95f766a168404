import { syncAllResponseSchema, syncRunResponseSchema, type SyncRunResponse } from "@tillsync/shared";
import { change, connectTestSocket, TerminalClient, waitFor, type TestSocket } from "@tillsync/testkit";
import { OPEN_RUNS_KEY } from "../src/hub/sync-runs";
import { useTestCentral } from "../testing";

// Short attempts so timeouts and retries happen within the test, and deliveries that re-emit
// quickly (an unacked trigger is emitted again, the newest pending one, every ~0.6 s).
const { central, pg } = useTestCentral(
  "runs",
  {},
  { hub: { manualRunTimeoutS: 2, ackTimeoutMs: 500, deliveryBackoffMs: 100 } },
);

const sockets: TestSocket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function connect(t: { terminalId: string; key: string }, autoAck: boolean): Promise<TestSocket> {
  const s = connectTestSocket(central.url, t, { autoAck });
  sockets.push(s);
  await s.ready;
  return s;
}

async function syncAll(body: unknown): Promise<string> {
  const r = await central.admin("POST", "/api/sync/all", body);
  expect(r.status).toBe(202);
  return syncAllResponseSchema.parse(r.body).runId;
}

async function run(id: string, wait?: number): Promise<{ status: number; body: SyncRunResponse }> {
  const r = await central.admin("GET", `/api/sync/runs/${id}${wait === undefined ? "" : `?wait=${wait}`}`);
  return { status: r.status, body: syncRunResponseSchema.parse(r.body) };
}

/** trigger-manual and schedules run every active terminal: earlier tests' terminals leave. */
async function disableEveryTerminal(): Promise<void> {
  const list = await central.admin<{ terminals: Array<{ id: string; status: string }> }>("GET", "/api/terminals");
  for (const t of list.body.terminals)
    if (t.status !== "DISABLED") await central.admin("POST", `/api/terminals/${t.id}/disable`, {});
}

const newTrigger = (s: TestSocket, after: number, reason = "MANUAL") =>
  waitFor(() => s.triggers.slice(after).find((t) => t.reason === reason), { what: `${reason} trigger` });

describe("acks while no run is open", () => {
  // Statements, not rows: an UPDATE that finds no part fires a statement-level trigger as well.
  beforeAll(async () => {
    await pg.query(`CREATE TABLE run_part_updates (at timestamptz NOT NULL DEFAULT now())`);
    await pg.query(`CREATE FUNCTION count_run_part_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO run_part_updates DEFAULT VALUES; RETURN NULL; END $$`);
    await pg.query(`CREATE TRIGGER count_run_part_update AFTER UPDATE ON sync_run_terminals
      FOR EACH STATEMENT EXECUTE FUNCTION count_run_part_update()`);
  });
  afterAll(async () => {
    await pg.query(`DROP TRIGGER count_run_part_update ON sync_run_terminals`);
  });
  const updates = async () =>
    Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM run_part_updates`)).rows[0]!.n);

  it("an ack or a failed delivery with no run open touches no run part; an ack while one is open completes its part", async () => {
    const t = await central.provisionTerminal();
    const runs = central.running.hub.runs;
    await runs.onAck(t.terminalId, new Date().toISOString());
    await runs.onUndelivered(t.terminalId, "not connected; the trigger waits for its next connection");
    expect(await updates()).toBe(0);

    const s = await connect(t, false);
    const id = await syncAll({ terminalId: t.terminalId });
    s.ack(await newTrigger(s, 0));
    expect((await run(id, 10)).body).toMatchObject({ status: "SUCCESS", terminals: { acked: 1, completed: 1 } });
    expect(await updates()).toBeGreaterThan(0);
    const after = await updates();
    await runs.onAck(t.terminalId, new Date().toISOString()); // the run completed: closed again
    expect(await updates()).toBe(after);
  });

  it("an ack over the socket reads whether a run is open in its own script: no round trip of its own", async () => {
    const t = await central.provisionTerminal();
    const s = await connect(t, true);
    const zcount = jest.spyOn(central.running.redis, "zcount");
    const onAck = jest.spyOn(central.running.hub.runs, "onAck");
    try {
      await central.admin("POST", "/api/products", {
        sku: `ACK-${t.terminalId.slice(0, 8)}`,
        name: "Ack",
        priceCents: 1,
      });
      await newTrigger(s, 0, "DATA_CHANGED");
      await waitFor(() => onAck.mock.results.length > 0, { what: "the ack handled" });
      await onAck.mock.results[0]!.value;
      expect(onAck.mock.calls[0]![2]).toBe(false);
      expect(zcount).not.toHaveBeenCalled();
    } finally {
      zcount.mockRestore();
      onAck.mockRestore();
    }
  });

  it("a run still counts its acks after Redis lost the open runs, once rearmed (what recovery does)", async () => {
    const t = await central.provisionTerminal();
    const s = await connect(t, false);
    const id = await syncAll({ terminalId: t.terminalId });
    const trigger = await newTrigger(s, 0);
    await central.running.redis.del(OPEN_RUNS_KEY);
    await central.running.hub.runs.rearm();
    s.ack(trigger);
    expect((await run(id, 10)).body).toMatchObject({ status: "SUCCESS", terminals: { acked: 1, failed: 0 } });
  });
});

describe("sync runs", () => {
  it("counts what the terminal pushed and pulled between its trigger and its ack, and completes on the ack", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    await central.admin("POST", "/api/products", {
      sku: `RUN-${t.terminalId.slice(0, 8)}`,
      name: "run",
      priceCents: 5,
    });
    const s = await connect(t, false);
    // Before the run: not counted.
    await till.push([change("sale_orders", { store_id: t.storeId, status: "COMPLETED", total_cents: 1 })]);

    const id = await syncAll({ terminalId: t.terminalId });
    const trigger = await newTrigger(s, 0);
    const running = await run(id);
    expect(running.status).toBe(200);
    expect(running.body).toMatchObject({ type: "MANUAL", status: "RUNNING", success: false, completedAt: null });
    expect(running.body.terminals).toEqual({ triggered: 1, acked: 0, completed: 0, failed: 0 });

    await till.push([
      change("sale_orders", { store_id: t.storeId, status: "COMPLETED", total_cents: 2 }),
      change("sale_orders", { store_id: t.storeId, status: "COMPLETED", total_cents: 3 }),
    ]);
    const page = await till.raw("GET", "/api/sync/pull?since=0");
    const pulled = (page.body.changes as unknown[]).length;
    expect(pulled).toBeGreaterThan(0);
    s.ack(trigger);

    const done = await run(id, 10);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      runId: id,
      type: "MANUAL",
      syncType: "FULL",
      status: "SUCCESS",
      success: true,
      requestedBy: "owner",
      terminals: { triggered: 1, acked: 1, completed: 1, failed: 0 },
      records: { pushed: 2, pulled },
      errors: [],
    });
    expect(done.body.statistics).toMatchObject({
      total_records: 2 + pulled,
      records_pushed: 2,
      records_pulled: pulled,
      sync_completed_at: done.body.completedAt,
    });
    expect(done.body.completedAt).not.toBeNull();
    // After completion: not counted any more.
    await till.push([change("sale_orders", { store_id: t.storeId, status: "COMPLETED", total_cents: 4 })]);
    expect((await run(id)).body.records.pushed).toBe(2);
  });

  it("ends PARTIAL with the reason of each terminal that did not sync (not connected, no ack in time)", async () => {
    const ok = await central.provisionTerminal();
    const silent = await central.provisionTerminal();
    const away = await central.provisionTerminal();
    await connect(ok, true);
    const mute = await connect(silent, false);
    const id = await syncAll({ allTerminals: true });
    await newTrigger(mute, 0);
    const done = await run(id, 20);
    expect(done.status).toBe(200);
    expect(done.body.status).toBe("PARTIAL");
    expect(done.body.success).toBe(false);
    const part = (tid: string) => done.body.results.find((r) => r.terminalId === tid);
    expect(part(ok.terminalId)).toMatchObject({ state: "ACKED", error: null });
    expect(part(silent.terminalId)).toMatchObject({ state: "FAILED", error: "no sync:ack within 2 s" });
    expect(part(away.terminalId)?.state).toBe("FAILED");
    expect(part(away.terminalId)?.error).toMatch(/not connected/);
    expect(done.body.errors.map((e) => e.terminalId)).toEqual(
      expect.arrayContaining([silent.terminalId, away.terminalId]),
    );
    expect(done.body.terminals.completed).toBe(done.body.terminals.triggered);
    expect(done.body.message).toMatch(/with errors/);
  });

  it("answers 202 RUNNING when ?wait= runs out first", async () => {
    const t = await central.provisionTerminal();
    const s = await connect(t, false);
    const id = await syncAll({ terminalId: t.terminalId });
    await newTrigger(s, 0);
    const r = await run(id, 1);
    expect(r.status).toBe(202);
    expect(r.body.status).toBe("RUNNING");
    expect(r.body.message).toMatch(/in progress/);
  });

  it("retries the terminals that did not ack on trigger-manual of a schedule, as MANUAL, and shows it as the schedule's last run", async () => {
    await disableEveryTerminal();
    const t = await central.provisionTerminal();
    const s = await connect(t, false);
    const created = await central.admin<{ schedule: { id: string } }>("POST", "/api/sync/schedules", {
      action: "create",
      cron: "0 3 * * *",
      attemptTimeoutS: 3,
    });
    const scheduleId = created.body.schedule.id;
    const fired = await central.admin<{ runId: string }>("POST", "/api/sync/schedules", {
      action: "trigger-manual",
      scheduleId,
    });
    expect(fired.status).toBe(200);
    const first = await newTrigger(s, 0);
    // Ignore the first attempt; ack the retry, which carries a new timestamp.
    const retry = await waitFor(() => s.triggers.find((x) => x.reason === "MANUAL" && x.timestamp > first.timestamp), {
      what: "the retry's trigger",
    });
    s.ack(retry);
    const done = await run(fired.body.runId, 20);
    expect(done.body).toMatchObject({ type: "MANUAL", status: "SUCCESS", attempt: 2, retries: 2, scheduleId });
    const list = await central.admin<{ schedules: Array<{ id: string; lastRun: { runId: string; outcome: string } }> }>(
      "GET",
      "/api/sync/schedules",
    );
    expect(list.body.schedules.find((x) => x.id === scheduleId)?.lastRun).toMatchObject({
      runId: fired.body.runId,
      outcome: "SUCCESS",
    });
    await central.admin("POST", "/api/sync/schedules", { action: "delete", scheduleId });
  });

  it("records a schedule firing as a SCHEDULED run", async () => {
    const t = await central.provisionTerminal();
    await connect(t, true);
    const created = await central.admin<{ schedule: { id: string } }>("POST", "/api/sync/schedules", {
      action: "create",
      cron: "* * * * * *",
    });
    const scheduleId = created.body.schedule.id;
    try {
      const last = await waitFor(
        async () => {
          const list = await central.admin<{ schedules: Array<{ id: string; lastRun?: { runId: string } | null }> }>(
            "GET",
            "/api/sync/schedules",
          );
          return list.body.schedules.find((x) => x.id === scheduleId)?.lastRun ?? undefined;
        },
        { what: "the schedule's first run" },
      );
      const r = await run(last.runId);
      expect(r.body.type).toBe("SCHEDULED");
      expect(r.body.scheduleId).toBe(scheduleId);
    } finally {
      await central.admin("POST", "/api/sync/schedules", { action: "delete", scheduleId });
    }
  });

  it("refuses a run id that is not a UUID, a bad wait, and answers 404 for an unknown run", async () => {
    expect((await central.admin("GET", "/api/sync/runs/nope")).status).toBe(400);
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect((await central.admin("GET", `/api/sync/runs/${unknown}`)).status).toBe(404);
    for (const w of ["abc", "-1", "500", "1.5"]) {
      const r = await central.admin<{ error: { message: string } }>("GET", `/api/sync/runs/${unknown}?wait=${w}`);
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/wait/);
    }
  });
});
