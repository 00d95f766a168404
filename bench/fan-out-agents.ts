/**
 * Child of bench/fan-out.ts: runs a share of the fan-out's agents in a process of its own, so
 * 1,000 tills' HTTP clients and SQLite writes are spread over several event loops instead of
 * queuing in the bench's one (in a shop each till is its own machine). Talks to the parent over
 * IPC (lib/fan-out-ipc.ts). The moment an agent has applied a price is its `Date.now()` when the
 * cycle that applied it ended: the same system clock as the parent's write time on this machine,
 * so write → applied compares across the processes.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { createAgent, startSocketLink, type Agent, type SocketLink } from "@tillsync/terminal-agent";
import { benchAgentConfig } from "./lib/bench-env";
import type { ToChild, ToParent } from "./lib/fan-out-ipc";

const send = (m: ToParent) => process.send!(m);
const agents = new Map<number, { agent: Agent; link: SocketLink }>();
let unwatch: Array<() => void> = [];

async function start(m: Extract<ToChild, { type: "start" }>): Promise<void> {
  for (const t of m.agents) {
    const config = benchAgentConfig(t.url, t.key, t.terminalId, t.file, { SYNC_INTERVAL: "3600" });
    const agent = createAgent(config);
    const r = await agent.engine.runCycle();
    if (r.error) throw new Error(`agent ${t.index}: first cycle failed: ${r.error}`);
    agents.set(t.index, { agent, link: startSocketLink(agent, config) });
  }
  const deadline = Date.now() + 180_000;
  while ([...agents.values()].some((a) => !a.link.connected)) {
    if (Date.now() > deadline) throw new Error("agents did not all connect");
    await new Promise((r) => setTimeout(r, 50));
  }
  send({ type: "ready" });
}

/**
 * Applied times gathered and sent as one message every few ms: a message per agent (serialized
 * and written to the pipe one by one) was ~7 % of these processes' CPU in a profile, the bench's
 * own cost competing with the agents'. Each time is still the agent's own moment.
 */
let applied: Array<{ index: number; at: number }> = [];
let flush: NodeJS.Timeout | undefined;
function reportApplied(index: number, at: number): void {
  applied.push({ index, at });
  flush ??= setTimeout(() => {
    flush = undefined;
    send({ type: "applied", agents: applied });
    applied = [];
  }, 5);
}

/** Tells the parent when each agent's cycle has left it holding `price`. */
function watch(productId: string, price: number): void {
  for (const [index, { agent }] of agents) {
    let seen = false;
    // Prepared once per watch, not per cycle: the watcher's CPU counts in the agents' figure.
    const priceOf = agent.db.prepare("SELECT price_cents FROM products WHERE id = ?");
    // Only a cycle that applied rows can have brought the price (set after the watch began).
    const check = (r: { pulled: number }) => {
      if (seen || r.pulled === 0) return;
      const row = priceOf.get(productId) as { price_cents: number } | undefined;
      if (row?.price_cents !== price) return;
      seen = true;
      reportApplied(index, Date.now());
    };
    agent.engine.on("cycle", check);
    unwatch.push(() => agent.engine.off("cycle", check));
  }
  send({ type: "watching" });
}

/**
 * BENCH_AGENT_PROF=<dir>: a CPU profile of this child over the rounds only (first watch to
 * stop), not the setup's bootstrap and connects, written there as agents-<pid>.cpuprofile.
 */
let profiler: Session | undefined;
async function startProfile(): Promise<void> {
  if (!process.env.BENCH_AGENT_PROF || profiler) return;
  profiler = new Session();
  profiler.connect();
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.start");
}
async function stopProfile(): Promise<void> {
  if (!profiler) return;
  const { profile } = await profiler.post("Profiler.stop");
  const file = path.join(process.env.BENCH_AGENT_PROF!, `agents-${process.pid}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  profiler.disconnect();
  profiler = undefined;
}

async function stop(): Promise<void> {
  await stopProfile();
  for (const { link } of agents.values()) await link.stop();
  for (const { agent } of agents.values()) await agent.close();
  agents.clear();
}

process.on("message", (m: ToChild) => {
  const run = async () => {
    if (m.type === "start") await start(m);
    else if (m.type === "watch") {
      await startProfile();
      watch(m.productId, m.price);
    } else if (m.type === "unwatch") {
      for (const u of unwatch) u();
      unwatch = [];
    } else if (m.type === "cycle") {
      const t0 = Date.now();
      await agents.get(m.index)!.agent.engine.runCycle();
      send({ type: "cycled", ms: Date.now() - t0 });
    } else if (m.type === "stop") {
      await stop();
      send({ type: "stopped" });
    }
  };
  run().catch((err: Error) => {
    send({ type: "failed", message: err.message });
  });
});
// The parent gone (it failed or was killed): leave with it rather than hold 250 sockets open.
process.on("disconnect", () => void stop().finally(() => process.exit(0)));
