import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { waitFor } from "@tillsync/testkit";
import { loadAgentConfig, startDaemon, type Daemon } from "../src";
import { CliProcess, envOf, runCli } from "./support/agent-cli";

const { central, pg } = useTestCentral("status_endpoint");

/** The local status endpoint (AGENT_HTTP_PORT) and what the heartbeat tells central. */
describe("agent status endpoint", () => {
  const dirs: string[] = [];
  const daemons: Daemon[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function daemonWith(
    env: Record<string, string> = {},
    given?: Awaited<ReturnType<typeof central.provisionTerminal>>,
  ) {
    const creds = given ?? (await central.provisionTerminal());
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-endpoint-"));
    dirs.push(dir);
    const file = path.join(dir, "terminal.db");
    const config = loadAgentConfig({
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${file}`,
      AGENT_HTTP_PORT: "0",
      ...env,
    });
    const lines: string[] = [];
    const daemon = startDaemon(config, { log: (l) => lines.push(l) });
    daemons.push(daemon);
    const port = (await daemon.httpPort)!;
    return { creds, daemon, port, file, lines, base: `http://127.0.0.1:${port}` };
  }

  it("serves GET /status (the status --json document), GET /metrics and POST /sync on 127.0.0.1", async () => {
    const d = await daemonWith();
    await waitFor(() => d.lines.some((l) => l.startsWith("startup sync:")), { what: "startup sync" });
    expect(d.lines).toContain(`status endpoint on http://127.0.0.1:${d.port} (GET /status, GET /metrics, POST /sync)`);
    // A change the daemon may push at any moment (a trigger from central): the assertions below
    // hold whether it already went or not.
    const till = new Database(d.file);
    till.prepare(`INSERT INTO customers (id, name) VALUES (?, 'Ada')`).run(randomUUID());
    const lastCycle = () => (till.prepare(`SELECT max(id) AS id FROM sync_history`).get() as { id: number }).id;

    const s = await fetch(`${d.base}/status`);
    expect(s.status).toBe(200);
    expect(s.headers.get("content-type")).toMatch(/^application\/json/);
    const doc = (await s.json()) as Record<string, unknown>;
    const cli = JSON.parse(
      (await runCli(["status", "--json"], envOf({ TERMINAL_DATABASE_URL: `file:${d.file}` }))).stdout,
    ) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(Object.keys(cli).sort());
    expect(doc).toMatchObject({ health: "green", circuit: "closed" });
    expect(
      (doc.totals as { pending: number; synced: number }).pending + (doc.totals as { synced: number }).synced,
    ).toBe(1);

    const m = await fetch(`${d.base}/metrics`);
    expect(m.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await m.text();
    expect(text).toMatch(/^tillsync_agent_outbox_changes\{table="customers",status="(pending|synced)"\} 1$/m);
    expect(text).toContain('tillsync_agent_health{colour="green"} 1');
    expect(text).toContain('tillsync_agent_circuit{state="closed"} 1');
    expect(text).toMatch(/^tillsync_agent_cycles_total [1-9]\d*$/m);
    expect(text).toMatch(/^# TYPE tillsync_agent_outbox_changes gauge$/m);

    const before = lastCycle();
    const sync = await fetch(`${d.base}/sync`, { method: "POST" });
    expect(sync.status).toBe(200);
    const report = (await sync.json()) as { cycleId: number; pushed: number; error?: string };
    // A cycle ran for this request: its history row is newer than any before it.
    expect(report.cycleId).toBeGreaterThan(before);
    expect(report.error).toBeUndefined();
    expect((await (await fetch(`${d.base}/status`)).json()) as unknown).toMatchObject({
      totals: { pending: 0, synced: 1 },
    });
    till.close();

    expect((await fetch(`${d.base}/sync`)).status).toBe(405);
    expect((await fetch(`${d.base}/status`, { method: "DELETE" })).status).toBe(405);
    const missing = await fetch(`${d.base}/admin`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "no route /admin; try GET /status, GET /metrics or POST /sync" });
  });

  it("heartbeats carry the circuit and the last clean cycle; a never-synced till is gray at central until then", async () => {
    const creds = await central.provisionTerminal();
    const row = async () =>
      (
        await central.admin<{ terminals: { id: string; health: string }[] }>("GET", "/api/terminals")
      ).body.terminals.find((t) => t.id === creds.terminalId)!;
    expect((await row()).health).toBe("gray");
    const d = await daemonWith({}, creds);
    await waitFor(
      async () => {
        const r = await pg.query(`SELECT last_heartbeat FROM terminals WHERE id = $1`, [d.creds.terminalId]);
        const hb = r.rows[0]?.last_heartbeat as { circuit?: string; lastSyncAt?: string | null } | null;
        return hb?.circuit === "closed" && typeof hb.lastSyncAt === "string";
      },
      { what: "heartbeat with circuit and lastSyncAt" },
    );
    const list = await central.admin<{ terminals: { id: string; health: string }[] }>("GET", "/api/terminals");
    expect(list.body.terminals.find((t) => t.id === d.creds.terminalId)).toMatchObject({
      health: "green",
      circuit: "closed",
    });
  });

  it("with SYNC_ENABLED=false the daemon stays up, serves status gray and answers POST /sync 409", async () => {
    const d = await daemonWith({ SYNC_ENABLED: "false" });
    expect(d.lines[0]).toMatch(/^sync disabled \(SYNC_ENABLED=false\)/);
    expect(await (await fetch(`${d.base}/status`)).json()).toMatchObject({ health: "gray", syncEnabled: false });
    const r = await fetch(`${d.base}/sync`, { method: "POST" });
    expect(r.status).toBe(409);
    expect(await r.json()).toEqual({ error: "sync is disabled on this terminal (SYNC_ENABLED=false)" });
    const hb = await pg.query(`SELECT last_heartbeat FROM terminals WHERE id = $1`, [d.creds.terminalId]);
    expect(hb.rows[0].last_heartbeat).toBeNull(); // nothing reached central
  });

  it("is off by default, and `start` logs JSON lines with the cycle's fields off a TTY", async () => {
    const creds = await central.provisionTerminal();
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-endpoint-"));
    dirs.push(dir);
    const daemon = new CliProcess(
      ["start"],
      envOf({
        CENTRAL_API_URL: central.url,
        CENTRAL_API_KEY: creds.key,
        TERMINAL_ID: creds.terminalId,
        TERMINAL_DATABASE_URL: `file:${path.join(dir, "t.db")}`,
      }),
    );
    try {
      await waitFor(() => /startup sync: pushed 0/.test(daemon.stdout), { what: "daemon started" });
      const lines = daemon.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.some((l) => String(l.msg).startsWith("status endpoint"))).toBe(false);
      expect(lines.find((l) => String(l.msg).startsWith("startup sync"))).toMatchObject({
        level: 30,
        service: "tillsync-agent",
        terminalId: creds.terminalId,
        cycleId: expect.any(Number),
        durationMs: expect.any(Number),
        pushed: 0,
        pulled: expect.any(Number),
      });
    } finally {
      await daemon.kill("SIGTERM");
    }
  });
});
