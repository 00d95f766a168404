import { Client } from "pg";
import { terminalListResponseSchema } from "@tillsync/shared";
import { TerminalClient, waitFor } from "@tillsync/testkit";
import type { CentralConfig } from "../src/config";
import { afterHeartbeats, HeartbeatBatcher } from "../src/hub/heartbeat-batcher";
import type { StoredHeartbeat } from "../src/store/stored-heartbeat";
import type { HeartbeatTransition } from "../src/store/terminals";
import { useTestCentral } from "../testing";
import { startAlertReceiver, type AlertReceiver } from "./support/alert-receiver";

let receiver: AlertReceiver;
const lines: Array<{ msg?: string; terminalId?: string }> = [];
// Filled in before central starts (this beforeAll runs before useTestCentral's).
const extra: Partial<CentralConfig> = { LOG_LEVEL: "error", ALERT_WEBHOOK_SECRET: "write-behind-test-secret" };
beforeAll(async () => {
  receiver = await startAlertReceiver();
  extra.ALERT_WEBHOOK_URL = receiver.url;
});
afterAll(() => receiver.close());

const { central, pg } = useTestCentral("hbbehind", extra, {
  hub: { alertBackoffMs: 50 },
  logDestination: { write: (l) => void lines.push(JSON.parse(l) as { msg?: string }) },
});

const alerts = (type: string, terminalId: string) =>
  receiver.received.filter((r) => r.body.type === type && r.body.terminalId === terminalId).length;

/** What GET /api/terminals shows of one terminal. */
async function listed(terminalId: string) {
  const list = terminalListResponseSchema.parse((await central.admin("GET", "/api/terminals")).body);
  return list.terminals.find((t) => t.id === terminalId)!;
}

/** Another session holding the terminal's row locked: a heartbeat's write waits until `release`. */
async function lockRow(terminalId: string) {
  const c = new Client({ connectionString: central.databaseUrl });
  await c.connect();
  await c.query("BEGIN");
  await c.query(`SELECT 1 FROM terminals WHERE id = $1 FOR UPDATE`, [terminalId]);
  return {
    /** The backend whose heartbeat statement waits for this lock, once there is one. */
    waiter: () =>
      waitFor(
        async () =>
          (
            await pg.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                 AND query LIKE '%async_commit%'`,
            )
          ).rows[0]?.pid,
        { what: "the heartbeat statement waiting for the row lock" },
      ),
    release: async () => {
      await c.query("COMMIT");
      await c.end();
    },
  };
}

describe("heartbeats answered before their write (write-behind)", () => {
  it("answers while the row cannot be written yet; the state then shows in GET /api/terminals and TERMINAL_ONLINE is raised once", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const beat = (status: string) =>
      till.raw("POST", "/api/sync/heartbeat", {
        terminalId: t.terminalId,
        status,
        outbox: { sale_orders: { pending: 7, failed: 0, synced: 1, conflicts: 0 } },
      });
    expect((await beat("idle")).status).toBe(200);
    await waitFor(async () => (await listed(t.terminalId)).status === "ONLINE", { what: "the first heartbeat stored" });
    await pg.query(`UPDATE terminals SET status = 'OFFLINE' WHERE id = $1`, [t.terminalId]);

    const lock = await lockRow(t.terminalId);
    try {
      // Answered although its statement cannot finish: the answer does not wait for the write.
      expect((await beat("pushing")).status).toBe(200);
      await lock.waiter();
      const row = await pg.query(`SELECT status, last_heartbeat->>'status' AS hb FROM terminals WHERE id = $1`, [
        t.terminalId,
      ]);
      expect(row.rows[0]).toEqual({ status: "OFFLINE", hb: "idle" });
      expect(alerts("TERMINAL_ONLINE", t.terminalId)).toBe(0); // raised after the write, not before
    } finally {
      await lock.release();
    }
    await waitFor(async () => (await listed(t.terminalId)).status === "ONLINE", {
      what: "the heartbeat's state in GET /api/terminals",
    });
    expect((await listed(t.terminalId)).status).toBe("ONLINE");
    await waitFor(() => alerts("TERMINAL_ONLINE", t.terminalId) === 1, { what: "TERMINAL_ONLINE" });
    // A later heartbeat, once stored, raises no second one.
    expect((await beat("idle")).status).toBe(200);
    await waitFor(async () => (await listed(t.terminalId)).agentStatus === "idle", { what: "the next heartbeat" });
    expect(alerts("TERMINAL_ONLINE", t.terminalId)).toBe(1);
  });

  it("logs and counts a heartbeat whose write failed after its answer, and the next heartbeat stores the state", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const beat = (pending: number) =>
      till.raw("POST", "/api/sync/heartbeat", {
        terminalId: t.terminalId,
        status: "idle",
        outbox: { sale_orders: { pending, failed: 0, synced: 0, conflicts: 0 } },
      });
    const failures = async () => (await central.running.metrics.heartbeatWriteFailures.get()).values[0]?.value ?? 0;
    const before = await failures();
    const lock = await lockRow(t.terminalId);
    try {
      expect((await beat(3)).status).toBe(200);
      // The statement fails (as a lost connection or a timeout would fail it).
      await pg.query(`SELECT pg_cancel_backend($1)`, [await lock.waiter()]);
      await waitFor(async () => (await failures()) === before + 1, { what: "the failed write counted" });
    } finally {
      await lock.release();
    }
    expect(lines.find((l) => l.terminalId === t.terminalId)?.msg).toMatch(/heartbeat not stored/);
    expect((await listed(t.terminalId)).status).not.toBe("ONLINE");
    expect((await beat(4)).status).toBe(200);
    const pendingOf = async () =>
      (
        await pg.query(
          `SELECT (last_heartbeat->'outbox'->'sale_orders'->>'pending')::int AS n FROM terminals WHERE id = $1`,
          [t.terminalId],
        )
      ).rows[0].n as number | null;
    await waitFor(async () => (await pendingOf()) === 4, { what: "the next heartbeat stored" });
    expect((await listed(t.terminalId)).status).toBe("ONLINE");
  });
});

describe("reads after heartbeats", () => {
  it("shows a heartbeat this instance answered to the reads right after it: the list, a pause's and a revocation's answer", async () => {
    const beatOnce = async () => {
      const t = await central.provisionTerminal();
      const till = new TerminalClient(central.url, t.terminalId, t.key);
      expect(
        (await till.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "idle", outbox: {} }))
          .status,
      ).toBe(200);
      return t.terminalId;
    };
    // A new terminal is OFFLINE until its first heartbeat is written, which waits heartbeatWindowMs.
    expect((await listed(await beatOnce())).status).toBe("ONLINE");
    const paused = await central.admin("POST", `/api/terminals/${await beatOnce()}/pause`, {});
    expect(paused.body).toMatchObject({ status: "ONLINE", paused: true });
    const revoked = await central.admin("POST", `/api/terminals/${await beatOnce()}/revoke-key`, {});
    expect(revoked.body).toMatchObject({ status: "ONLINE" });
  });

  const hb = { status: "idle", outbox: {}, at: new Date().toISOString() } as StoredHeartbeat;

  it("holds a terminal read until the heartbeats recorded before it are written, not those after", async () => {
    const opens: Array<() => void> = [];
    const batcher = new HeartbeatBatcher(
      {
        recordHeartbeats: () =>
          new Promise<Map<string, HeartbeatTransition>>((resolve) => opens.push(() => resolve(new Map()))),
      },
      100,
    );
    const events: string[] = [];
    const reads = afterHeartbeats(
      {
        list: async (_lagCap: number) => (events.push("list read"), []),
        backloggedHeartbeats: async () => [],
      },
      ["list"],
      batcher,
    );
    void batcher.record("t1", hb).then(() => events.push("t1 written"));
    const read = reads.list(10);
    void batcher.record("t2", hb).then(() => events.push("t2 written"));
    await Promise.resolve();
    expect(events).toEqual([]);
    opens[0]!(); // t1's statement commits; t2's goes next and stays open
    await read;
    expect(events).toEqual(["t1 written", "list read"]);
    await waitFor(() => opens.length === 2);
    opens[1]!();
    await waitFor(() => events.length === 3);
    // With nothing pending, a read goes at once.
    await reads.list(10);
    expect(events.at(-1)).toBe("list read");
  });
});
