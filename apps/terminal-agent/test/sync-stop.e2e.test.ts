import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { useTestCentral } from "@tillsync/central/testing";
import { SyncStoppedError, type SyncStopDetails } from "@tillsync/shared";
import { waitFor } from "@tillsync/testkit";
import { createAgent, loadAgentConfig, startDaemon, transportFromConfig, type Daemon } from "../src";
import type { CentralTransport } from "../src/transport/central-transport";
import { formatAgentStatus, readAgentStatus } from "../src/status/agent-status";
import { createTestAgent, type TestAgent } from "../testing";

/**
 * The agent under central's emergency stop (SPEC §4): every change stays in the outbox, the
 * engine holds without opening the breaker, `status` shows a red "emergency stop" that a local
 * resume cannot lift, and once central resumes everything drains.
 */
const { central, pg } = useTestCentral("agent_stop", {}, { hub: { stoppedRetryAfterS: 1 } });

describe("the agent under an emergency stop", () => {
  const agents: TestAgent[] = [];
  let daemon: Daemon | undefined;
  const moreDaemons: Daemon[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-stop-"));

  afterAll(async () => {
    await daemon?.stop();
    for (const d of moreDaemons) await d.stop();
    for (const a of agents) await a.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const sell = (db: { prepare(sql: string): { run(...a: unknown[]): unknown } }, storeId: string) => {
    const id = randomUUID();
    db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 500)`).run(
      id,
      storeId,
    );
    db.prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CASH', 500)`).run(
      randomUUID(),
      id,
    );
    return id;
  };
  const atCentral = async (ids: string[]) =>
    (await pg.query(`SELECT 1 FROM sale_orders WHERE id = ANY($1::uuid[])`, [ids])).rowCount ?? 0;

  it("keeps every change, shows a red emergency stop a local resume cannot lift, and drains after resume", async () => {
    const creds = await central.provisionTerminal();
    const agent = createTestAgent(central.url, creds);
    agents.push(agent);
    const till = agent.till();
    await central.admin("POST", "/api/sync/emergency-stop", { reason: "audit at noon" });
    const sold = [sell(till, creds.storeId), sell(till, creds.storeId)];

    const held = await agent.engine.runCycle();
    expect(held).toMatchObject({ held: true, pushed: 0 });
    expect(held.error).toMatch(/emergency stop .*audit at noon/);
    expect(agent.outbox.counts().sale_orders).toMatchObject({ pending: 2, synced: 0 });
    expect(await atCentral(sold)).toBe(0);
    const status = readAgentStatus(agent.db, agent.config.SYNC_INTERVAL * 1000);
    expect(status).toMatchObject({
      health: "red",
      consecutiveFailures: 0,
      central: { kind: "EMERGENCY_STOP", reason: "audit at noon", by: "owner" },
    });
    expect(formatAgentStatus(status)).toMatch(
      /central: +emergency stop .*audit at noon .*a local resume cannot lift it/,
    );

    // The till's own pause and resume are separate: resuming locally does not lift central's stop.
    agent.engine.pause();
    expect(readAgentStatus(agent.db, 1000)).toMatchObject({ paused: true, central: { kind: "EMERGENCY_STOP" } });
    agent.engine.resume();
    expect((await agent.engine.runCycle()).held).toBe(true);
    expect(agent.outbox.counts().sale_orders!.synced).toBe(0);

    await central.admin("POST", "/api/sync/resume");
    const drained = await agent.engine.runCycle();
    expect(drained.error).toBeUndefined();
    expect(drained.pushed).toBe(4);
    expect(await atCentral(sold)).toBe(2);
    expect(readAgentStatus(agent.db, 1000).central).toBeNull();
  });

  it("as a daemon: central's sync:pause holds it at once, sales keep coming, and sync:resume drains them all", async () => {
    const creds = await central.provisionTerminal();
    const config = loadAgentConfig({
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${path.join(dir, "daemon.db")}`,
    });
    daemon = startDaemon(config);
    const { agent, link } = daemon;
    await waitFor(() => link!.connected, { what: "socket connected" });
    await central.admin("POST", "/api/sync/emergency-stop", { reason: "daemon stop" });
    await waitFor(() => agent.engine.heldBy()?.reason === "daemon stop", { what: "held by sync:pause" });
    const sold = [sell(agent.db, creds.storeId), sell(agent.db, creds.storeId), sell(agent.db, creds.storeId)];
    // CRITICAL sales are not pushed while held: the engine is not idle, it waits for central.
    expect(agent.engine.current.kind).toBe("backing-off");
    expect(await atCentral(sold)).toBe(0);
    await central.admin("POST", "/api/sync/resume");
    await waitFor(async () => (await atCentral(sold)) === 3, { what: "everything drained after resume" });
    // Central commits before the agent has read its answer and marked the rows.
    await waitFor(() => agent.outbox.counts().payments?.synced === 3, { what: "payments marked SYNCED" });
    expect(agent.outbox.counts().payments).toMatchObject({ pending: 0, synced: 3 });
  });

  it("a stop heard while a cycle's answer is on its way holds after that cycle, and central's resume lifts it at once", async () => {
    const creds = await central.provisionTerminal();
    const config = loadAgentConfig({
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${path.join(dir, "race.db")}`,
    });
    // The pull is answered 200 by central, then held back from the engine while the stop
    // happens: the answer predates the stop, the engine reads it after the sync:pause. The
    // page may come over HTTP or over the socket (`sync:pull`): both are held back.
    const http = transportFromConfig(config);
    let gate: { answered: () => void; release: Promise<void> } | undefined;
    const heldBack = async <T>(page: T): Promise<T> => {
      const g = gate;
      if (g) {
        gate = undefined;
        g.answered();
        await g.release;
      }
      return page;
    };
    const transport: CentralTransport = {
      push: (c) => http.push(c),
      acknowledge: (c) => http.acknowledge(c),
      heartbeat: (b) => http.heartbeat(b),
      pull: async (s, l, e, epoch) => heldBack(await http.pull(s, l, e, epoch)),
    };
    // Its own daemon: the one of the case above stays for afterAll to stop.
    const raced = startDaemon(config, { transport });
    moreDaemons.push(raced);
    const { agent, link } = raced;
    const overSocket = agent.engine.pullOverSocket;
    expect(overSocket).toBeDefined();
    agent.engine.pullOverSocket = async (since, limit, epoch) => {
      const page = await overSocket!(since, limit, epoch);
      return page === undefined ? undefined : heldBack(page);
    };
    await waitFor(() => link!.connected && agent.engine.current.kind === "idle", { what: "daemon synced and linked" });
    let open!: () => void;
    const answered = new Promise<void>((resolve) => {
      gate = { answered: resolve, release: new Promise<void>((r) => (open = r)) };
    });
    const cycle = agent.engine.runCycle();
    await answered;
    await central.admin("POST", "/api/sync/emergency-stop", { reason: "mid-cycle" });
    await waitFor(() => agent.engine.heldBy()?.reason === "mid-cycle", { what: "sync:pause heard mid-cycle" });
    open();
    await cycle;
    // The cycle's 200 is older than the stop: the hold stays (so status says why, and the
    // resume below is news), and the engine waits.
    expect(agent.engine.heldBy()?.reason).toBe("mid-cycle");
    expect(agent.engine.current.kind).toBe("backing-off");
    await central.admin("POST", "/api/sync/resume");
    // Well before the hold's own retry (HELD_RETRY_MS, 30 s): central's resume lifts it.
    await waitFor(() => agent.engine.current.kind === "idle" && agent.engine.heldBy() === null, {
      what: "resumed by central at once",
      timeoutMs: 10_000,
    });
  });
  it("a resume heard while a cycle's 423 is on its way: the cycle after it drains, not the 423's retry", async () => {
    const creds = await central.provisionTerminal();
    const config = loadAgentConfig({
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${path.join(dir, "resume-race.db")}`,
    });
    // The push's 423 is held back from the engine until the resume was heard; it asks for ten
    // minutes (this file's central asks for 1 s), so only a cycle after the resume can drain.
    // No socket link: the resume is the engine call the link makes on sync:resume, and no
    // sync:trigger can start a cycle that would hide a lost resume.
    const http = transportFromConfig(config);
    let gate: { answered: () => void; release: Promise<void> } | undefined;
    const transport: CentralTransport = {
      push: async (c) => {
        const g = gate;
        try {
          return await http.push(c);
        } catch (err) {
          if (!g || !(err instanceof SyncStoppedError)) throw err;
          gate = undefined;
          g.answered();
          await g.release;
          throw new SyncStoppedError(err.message, { ...(err.details as SyncStopDetails), retryAfterSeconds: 600 });
        }
      },
      acknowledge: (c) => http.acknowledge(c),
      heartbeat: (b) => http.heartbeat(b),
      pull: (s, l, e, epoch) => http.pull(s, l, e, epoch),
    };
    const agent = createAgent(config, transport);
    try {
      await central.admin("POST", "/api/sync/emergency-stop", { reason: "resume race" });
      const sold = [sell(agent.db, creds.storeId)];
      let open!: () => void;
      const answered = new Promise<void>((resolve) => {
        gate = { answered: resolve, release: new Promise<void>((r) => (open = r)) };
      });
      const cycle = agent.engine.runCycle();
      await answered; // central said 423; the engine has not read it yet
      await central.admin("POST", "/api/sync/resume");
      const resumed = agent.engine.centralResumed(); // sync:resume, heard during the cycle
      open();
      expect((await cycle).held).toBe(true);
      await resumed;
      expect(await atCentral(sold)).toBe(1);
      expect(agent.engine.heldBy()).toBeNull();
    } finally {
      await agent.close();
    }
  });
});
