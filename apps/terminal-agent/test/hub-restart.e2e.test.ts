import type { RunningCentral } from "@tillsync/central";
import { startTestCentral, type TestCentral } from "@tillsync/central/testing";
import { createTestAgent, type TestAgent } from "../testing";
import { waitFor } from "@tillsync/testkit";
import { HeartbeatSender, startSocketLink, transportFromConfig, type SocketLink } from "../src";

/** Central restarted as a process: connected and later-connecting terminals get SERVER_RESTART once. */
describe("SERVER_RESTART after a central restart", () => {
  let central: TestCentral;
  let restarted: RunningCentral | undefined;
  const agents: TestAgent[] = [];
  const links: SocketLink[] = [];
  const heartbeats: HeartbeatSender[] = [];

  afterAll(async () => {
    for (const h of heartbeats) h.stop();
    for (const l of links) await l.stop();
    for (const a of agents) await a.destroy();
    await restarted?.stop();
    await central?.stop();
  });

  function link(creds: { terminalId: string; key: string }): { link: SocketLink; restarts: string[] } {
    const agent = createTestAgent(central.url, creds);
    agents.push(agent);
    const heartbeat = new HeartbeatSender(transportFromConfig(agent.config), agent, 60_000).start();
    heartbeats.push(heartbeat);
    const l = startSocketLink(agent, agent.config, { heartbeat });
    links.push(l);
    const restarts: string[] = [];
    l.on("trigger", (t) => {
      if (t.reason === "SERVER_RESTART") restarts.push(t.type);
    });
    return { link: l, restarts };
  }

  it("sends one FULL SERVER_RESTART to a connected and to a later-connecting terminal", async () => {
    // The first boot's own SERVER_RESTART runs before any terminal exists.
    central = await startTestCentral("restart", {}, { hub: { restartTriggerDelayMs: 0 } });
    await waitFor(async () => (await central.running.metrics.jobRunCount("server-restart")) === 1, {
      what: "first boot's restart job",
    });
    const t1 = await central.provisionTerminal();
    const t2 = await central.provisionTerminal({ storeId: t1.storeId });
    const connected = link(t1);
    await waitFor(() => connected.link.connected, { what: "agent 1 connected" });

    const port = central.running.port;
    await central.running.stop();
    await waitFor(() => !connected.link.connected, { what: "agent 1 sees central gone" });
    restarted = await central.startInstance({ port });
    await waitFor(() => connected.link.connected, { what: "agent 1 reconnected by itself" });
    await waitFor(() => connected.restarts.length > 0, { what: "connected agent got SERVER_RESTART" });
    await waitFor(async () => (await restarted!.metrics.jobRunCount("server-restart")) === 1, {
      what: "restart job ran",
    });

    const later = link(t2);
    await waitFor(() => later.restarts.length > 0, { what: "later-connecting agent got SERVER_RESTART" });

    // Everything delivered and acked, nothing queued: no second trigger can still come.
    await waitFor(
      async () => {
        const pending = await restarted!.redis.exists(
          `hub:trigger:pending:${t1.terminalId}`,
          `hub:trigger:pending:${t2.terminalId}`,
        );
        const q = (await restarted!.hub.queueCounts()).triggers;
        return pending === 0 && Object.values(q).every((n) => n === 0);
      },
      { what: "triggers acked and queue drained" },
    );
    expect(connected.restarts).toEqual(["FULL"]);
    expect(later.restarts).toEqual(["FULL"]);
  });
});
