import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { HeartbeatRequest } from "@tillsync/shared";
import { useTestCentral } from "@tillsync/central/testing";
import { waitFor } from "@tillsync/testkit";
import { loadAgentConfig, startDaemon, transportFromConfig, type CentralTransport, type Daemon } from "../src";

type Beat = Omit<HeartbeatRequest, "terminalId">;

const { central, pg } = useTestCentral("daemon");

/** The daemon as `start` assembles it (daemon/daemon.ts), in-process against a real central. */
describe("the daemon", () => {
  let dir: string;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-daemon-"));
  });

  afterAll(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("syncs at start, pushes a sale at once, beats on the config's interval and on central's stop, then stops", async () => {
    const creds = await central.provisionTerminal();
    const config = loadAgentConfig({
      CENTRAL_API_URL: central.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${path.join(dir, "t.db")}`,
      HEARTBEAT_INTERVAL_MS: "50",
    });
    // The daemon's one transport, watched: the engine and the heartbeat both go through it.
    const http = transportFromConfig(config);
    const beats: Beat[] = [];
    const transport: CentralTransport = {
      push: (c) => http.push(c),
      pull: (s, l, e) => http.pull(s, l, e),
      acknowledge: (c) => http.acknowledge(c),
      heartbeat: (b) => {
        beats.push(b);
        return http.heartbeat(b);
      },
    };
    const lines: string[] = [];
    daemon = startDaemon(config, { transport, log: (l) => lines.push(l) });
    const { agent, link } = daemon;
    expect(lines).toEqual(["running"]);
    await waitFor(() => lines.includes("startup sync: pushed 0, pulled 0"), { what: "startup sync logged" });
    // The default interval is 30 s: several beats within a test's wait come from the config.
    await waitFor(() => beats.length >= 3, { what: "heartbeats on HEARTBEAT_INTERVAL_MS" });
    await waitFor(() => link!.connected, { what: "socket link connected" });

    const order = randomUUID();
    agent.db
      .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 100)`)
      .run(order, creds.storeId);
    await waitFor(async () => (await pg.query(`SELECT 1 FROM sale_orders WHERE id = $1`, [order])).rowCount === 1, {
      what: "CRITICAL order pushed without a cycle being asked for",
    });

    await central.admin("POST", "/api/sync/emergency-stop", { reason: "daemon test" });
    await waitFor(() => agent.engine.heldBy()?.reason === "daemon test", { what: "held by central" });
    await waitFor(() => beats.some((b) => b.status === "backing-off"), { what: "the hold reported by a heartbeat" });
    await central.admin("POST", "/api/sync/resume");
    await waitFor(() => agent.engine.current.kind === "idle", { what: "resumed by central" });

    await daemon.stop();
    daemon = undefined;
    expect(agent.engine.current.kind).toBe("stopped");
    expect(link!.connected).toBe(false);
    expect(lines.filter((l) => l.startsWith("sync failed"))).toEqual([]);
  });
});
