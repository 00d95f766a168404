import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { change, TerminalClient, waitFor, startPrivateRedis } from "@tillsync/testkit";
import { startTestCentral, useTestCentral } from "../testing";

/**
 * The emergency stop and an operator's pause are enforced (SPEC §4): while one holds, push and
 * pull answer 423 SYNC_STOPPED (retryable, with the operator's reason) and nothing lands; the
 * stop lives in PostgreSQL, so it survives restarts of central and of Redis.
 */
describe("emergency stop and terminal pause", () => {
  const { central, pg } = useTestCentral("stop", {}, { hub: { stoppedRetryAfterS: 7 } });
  let a: TerminalClient;
  let b: TerminalClient;
  let storeId: string;

  beforeAll(async () => {
    const t = await central.provisionTerminal();
    storeId = t.storeId;
    a = new TerminalClient(central.url, t.terminalId, t.key);
    const u = await central.provisionTerminal({ storeId });
    b = new TerminalClient(central.url, u.terminalId, u.key);
  });

  const order = () => change("sale_orders", { store_id: storeId, status: "COMPLETED", total_cents: 100 });
  const push = (till: TerminalClient, c = order()) =>
    till.raw("POST", "/api/sync/push", { terminalId: till.terminalId, changes: [c] });

  it("answers push and pull 423 SYNC_STOPPED with the reason while stopped; heartbeats still land; resume lets the push in", async () => {
    const stop = await central.admin<{ stopped: boolean; reason: string; by: string; since: string }>(
      "POST",
      "/api/sync/emergency-stop",
      { reason: "stocktake" },
    );
    expect(stop.body).toMatchObject({ stopped: true, reason: "stocktake", by: "owner" });
    const held = order();
    const pushed = await push(a, held);
    expect(pushed.status).toBe(423);
    expect(pushed.body.error).toMatchObject({
      code: "SYNC_STOPPED",
      retryable: true,
      details: { kind: "EMERGENCY_STOP", reason: "stocktake", by: "owner", retryAfterSeconds: 7 },
    });
    expect((pushed.body.error as { message: string }).message).toMatch(
      /emergency stop .*: stocktake; .*keep every change/,
    );
    const pulled = await a.raw("GET", "/api/sync/pull");
    expect(pulled.status).toBe(423);
    expect(
      (await fetch(`${central.url}/api/sync/pull`, { headers: { authorization: `Bearer ${a.key}` } })).headers.get(
        "retry-after",
      ),
    ).toBe("7");
    expect((await pg.query(`SELECT 1 FROM sale_orders WHERE id = $1`, [held.entityId])).rowCount).toBe(0);
    const hb = await a.raw("POST", "/api/sync/heartbeat", {
      terminalId: a.terminalId,
      status: "backing-off",
      outbox: {},
    });
    expect(hb.status).toBe(200);

    const status = await central.admin<Record<string, unknown>>("GET", "/api/sync/status");
    expect(status.body).toMatchObject({
      health: "red",
      state: "emergency stop",
      emergency: { stopped: true, reason: "stocktake" },
    });
    const list = await central.admin<{ terminals: Array<{ id: string; health: string }>; emergency: unknown }>(
      "GET",
      "/api/terminals",
    );
    expect(list.body.emergency).toMatchObject({ stopped: true, reason: "stocktake", by: "owner" });
    expect(list.body.terminals.find((t) => t.id === a.terminalId)!.health).toBe("red");

    const resumed = await central.admin("POST", "/api/sync/resume");
    expect(resumed.body).toMatchObject({ stopped: false, resumedBy: "owner" });
    const again = await push(a, held);
    expect(again.status).toBe(200);
    expect((again.body.results as Array<{ status: string }>)[0]!.status).toBe("APPLIED");
  });

  it("makes the stop wait for a push already past the gate, so no push lands after the stop answered", async () => {
    const tx = new Client({ connectionString: central.databaseUrl });
    await tx.connect();
    try {
      await tx.query("BEGIN");
      // What a push does first inside its transaction (store/sync-control.ts).
      await tx.query(`SELECT pg_advisory_xact_lock_shared(7270736903)`);
      let answered = false;
      const stopping = central.admin("POST", "/api/sync/emergency-stop", { reason: "race" }).then((r) => {
        answered = true;
        return r;
      });
      await waitFor(
        async () =>
          (await pg.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rowCount === 1,
        { what: "the stop waiting for the push's shared lock" },
      );
      expect(answered).toBe(false);
      await tx.query("COMMIT");
      expect((await stopping).body).toMatchObject({ stopped: true, reason: "race" });
    } finally {
      await tx.end();
      await central.admin("POST", "/api/sync/resume");
    }
  });

  it("pauses one terminal: its push and pull answer 423 with the reason, the other terminal syncs; resume lifts it", async () => {
    const paused = await central.admin("POST", `/api/terminals/${a.terminalId}/pause`, { reason: "till swap" });
    expect(paused.body).toEqual({ terminalId: a.terminalId, status: expect.any(String), paused: true });
    const held = await push(a);
    expect(held.status).toBe(423);
    expect(held.body.error).toMatchObject({
      code: "SYNC_STOPPED",
      details: { kind: "TERMINAL_PAUSED", reason: "till swap", by: "owner" },
    });
    expect((await a.raw("GET", "/api/sync/pull")).status).toBe(423);
    expect((await push(b)).status).toBe(200);
    expect((await b.raw("GET", "/api/sync/pull")).status).toBe(200);

    const status = await central.admin<Record<string, unknown>>("GET", `/api/sync/status?terminalId=${a.terminalId}`);
    expect(status.body).toMatchObject({
      state: "paused",
      health: "yellow",
      terminalPause: { reason: "till swap", by: "owner" },
    });
    const list = await central.admin<{ terminals: Array<{ id: string; paused: boolean; health: string }> }>(
      "GET",
      "/api/terminals",
    );
    expect(list.body.terminals.find((t) => t.id === a.terminalId)).toMatchObject({ paused: true, health: "yellow" });

    // Lifting an emergency stop does not lift an operator's pause of one terminal.
    await central.admin("POST", "/api/sync/emergency-stop", {});
    await central.admin("POST", "/api/sync/resume");
    expect((await push(a)).status).toBe(423);

    const resumed = await central.admin("POST", `/api/terminals/${a.terminalId}/resume`, {});
    expect(resumed.body).toEqual({ terminalId: a.terminalId, status: expect.any(String), paused: false });
    expect((await push(a)).status).toBe(200);
  });

  it("refuses to pause a disabled terminal (409), and answers 404 for an unknown one", async () => {
    const t = await central.provisionTerminal({ storeId });
    await central.admin("POST", `/api/terminals/${t.terminalId}/disable`, {});
    expect((await central.admin("POST", `/api/terminals/${t.terminalId}/pause`, {})).status).toBe(409);
    expect((await central.admin("POST", `/api/terminals/${randomUUID()}/resume`, {})).status).toBe(404);
  });

  it("keeps the stop across a central restart: the new instance answers 423 until resumed", async () => {
    await central.admin("POST", "/api/sync/emergency-stop", { reason: "restart test" });
    const port = central.running.port;
    await central.running.stop();
    const again = await central.startInstance({ port });
    try {
      const res = await push(a);
      expect(res.status).toBe(423);
      expect(res.body.error).toMatchObject({ details: { reason: "restart test" } });
      const r = await fetch(`${central.url}/api/sync/resume`, {
        method: "POST",
        headers: { authorization: `Bearer ${central.adminToken}` },
      });
      expect(r.status).toBe(200);
      expect((await push(a)).status).toBe(200);
    } finally {
      await again.stop();
    }
  });
});

describe("emergency stop across a Redis restart (a private redis-server)", () => {
  it("still answers 423 while Redis is down and after it is back, and resumes", async () => {
    const redis = await startPrivateRedis();
    const central = await startTestCentral("stop_redis", { REDIS_URL: redis.url });
    try {
      const t = await central.provisionTerminal();
      const till = new TerminalClient(central.url, t.terminalId, t.key);
      const push = () =>
        till.raw("POST", "/api/sync/push", {
          terminalId: t.terminalId,
          changes: [change("sale_orders", { store_id: t.storeId, status: "PENDING" })],
        });
      await central.admin("POST", "/api/sync/emergency-stop", { reason: "redis test" });
      await redis.stop();
      expect((await push()).status).toBe(423);
      await redis.start();
      await waitFor(async () => (await central.running.redis.ping().catch(() => "")) === "PONG", {
        what: "central's Redis client reconnected",
      });
      const held = await push();
      expect(held.status).toBe(423);
      expect(held.body.error).toMatchObject({ details: { reason: "redis test" } });
      expect((await central.admin("POST", "/api/sync/resume")).body).toMatchObject({ stopped: false });
      expect((await push()).status).toBe(200);
    } finally {
      await central.stop();
      await redis.stop();
    }
  });
});
