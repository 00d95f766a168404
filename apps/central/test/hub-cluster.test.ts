import { useTestCentral } from "../testing";
import { useSecondInstance } from "./support/second-instance";
import { TerminalClient, waitFor } from "@tillsync/testkit";

// A short sweep interval so the OFFLINE sweep is observable; the timeout itself stays 90 s.
// A short ack timeout: a first emit lost while an instance (re)starts is retried quickly.
// No restart delay: A's own SERVER_RESTART goes out before any test creates a terminal.
const { central: a, pg } = useTestCentral(
  "cluster",
  {},
  { hub: { sweepEveryMs: 200, ackTimeoutMs: 2_000, restartTriggerDelayMs: 0 } },
);

/** Two central instances on one database and one Redis prefix behave as one hub. */
describe("hub scale-out: two instances", () => {
  const b = useSecondInstance(a);

  const adminOnB = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${b.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${a.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("triggers a terminal connected to A from an admin call on B, and takes its ack", async () => {
    const t = await a.provisionTerminal();
    const s = b.connectTo(a.url, t, { autoAck: true });
    await s.ready;
    expect((await adminOnB("POST", "/api/sync/all", { terminalId: t.terminalId })).status).toBe(202);
    await waitFor(() => s.triggers.find((x) => x.reason === "MANUAL"), {
      what: "trigger via B reaches the socket on A",
    });
    await waitFor(async () => !(await a.running.redis.exists(`hub:trigger:pending:${t.terminalId}`)), {
      what: "ack cleared it",
    });
    // Emergency stop on B pauses the socket on A.
    await adminOnB("POST", "/api/sync/emergency-stop", {});
    await waitFor(() => s.pauses > 0, { what: "pause via B" });
    await adminOnB("POST", "/api/sync/resume");
    await waitFor(() => s.resumes > 1, { what: "resume via B" }); // one at register, one now
  });

  it("takes heartbeats via either instance, and the OFFLINE sweep marks a silent terminal once", async () => {
    const t = await a.provisionTerminal();
    const viaA = new TerminalClient(a.url, t.terminalId, t.key);
    const viaB = new TerminalClient(b.url, t.terminalId, t.key);
    const hb = { terminalId: t.terminalId, status: "idle", outbox: {} };
    // A heartbeat is answered before it is written (routes/heartbeat-route.ts): SQL sees it soon after.
    const stored = (status: string) =>
      waitFor(
        async () => {
          const { rows } = await pg.query(
            `SELECT status, last_seen_at, last_heartbeat->>'status' AS hb FROM terminals WHERE id = $1`,
            [t.terminalId],
          );
          return rows[0]?.hb === status && rows[0];
        },
        { what: `the ${status} heartbeat stored` },
      );
    expect((await viaA.raw("POST", "/api/sync/heartbeat", hb)).status).toBe(200);
    const seenA = (await stored("idle")).last_seen_at as Date;
    expect((await viaB.raw("POST", "/api/sync/heartbeat", { ...hb, status: "pulling" })).status).toBe(200);
    const row = await stored("pulling");
    expect(row.status).toBe("ONLINE");
    expect((row.last_seen_at as Date).getTime()).toBeGreaterThanOrEqual(seenA.getTime());

    // Silence: its last heartbeat is older than HEARTBEAT_TIMEOUT_S.
    await pg.query(`UPDATE terminals SET last_seen_at = now() - interval '10 minutes' WHERE id = $1`, [t.terminalId]);
    await waitFor(
      async () =>
        (await pg.query(`SELECT status FROM terminals WHERE id = $1`, [t.terminalId])).rows[0].status === "OFFLINE",
      {
        what: "terminal marked OFFLINE",
      },
    );
    // Let several more sweeps run, on either instance: still one OFFLINE record.
    const sweeps = async () =>
      (await a.running.metrics.jobRunCount("heartbeat-sweep")) +
      (await b.running.metrics.jobRunCount("heartbeat-sweep"));
    const marks = async () =>
      (
        await pg.query(`SELECT count(*)::int AS n FROM sync_history WHERE terminal_id = $1 AND kind = 'OFFLINE'`, [
          t.terminalId,
        ])
      ).rows[0].n as number;
    const sweepsBefore = await sweeps();
    await waitFor(async () => (await sweeps()) >= sweepsBefore + 3, { what: "three more sweeps" });
    expect(await marks()).toBe(1);
    // A heartbeat brings it back ONLINE.
    expect((await viaB.raw("POST", "/api/sync/heartbeat", hb)).status).toBe(200);
    await waitFor(
      async () =>
        (await pg.query(`SELECT status FROM terminals WHERE id = $1`, [t.terminalId])).rows[0].status === "ONLINE",
      { what: "terminal ONLINE again" },
    );
  });

  it("does not send SERVER_RESTART when one instance restarts beside a running one (no storm)", async () => {
    const t = await a.provisionTerminal();
    const onA = b.connectTo(a.url, t, { autoAck: true });
    await onA.ready;
    let dropped = 0;
    onA.socket.on("disconnect", () => dropped++);
    expect(await a.running.hub.clusterJoined).toBe(true);
    expect(await b.running.hub.clusterJoined).toBe(false);
    await b.restart();
    expect(await b.running.hub.clusterJoined).toBe(false);
    // The restart on B left A's terminals alone, and they still answer a trigger through B.
    expect((await adminOnB("POST", "/api/sync/all", { terminalId: t.terminalId })).status).toBe(202);
    await waitFor(() => onA.triggers.some((x) => x.reason === "MANUAL"), {
      what: "trigger through the restarted B",
      timeoutMs: 45_000,
    });
    expect(onA.socket.connected).toBe(true);
    expect(dropped).toBe(0);
    expect(onA.triggers.filter((x) => x.reason === "SERVER_RESTART")).toEqual([]);
  });
});
