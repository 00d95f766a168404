import { PULL_LINES } from "../lib/fault-proxy";
import { pushDownVerdict, resumeVerdict, survivalVerdict, terminalStatus } from "../lib/probes";
import { settle, withWorld, type Scenario, type ScenarioContext, type Verdict } from "../lib/scenario";
import { sleep, waitUntil } from "../lib/util";
import type { World } from "../lib/world";

/**
 * PostgreSQL and Redis restarted under central while the tills sell. Central must ride it out
 * without a restart of its own (same process), /ready must come back, and real-time triggers
 * must work again: agents run with SYNC_INTERVAL 20 here, so a price change that reaches the
 * tills within 5 s came by a trigger, not by the periodic safety net. For the same reason the
 * tills' resumption is judged on CRITICAL rows (pushed at once) and convergence gets one
 * interval on top of the usual target (HIGH rows go every cycle).
 */
const INTERVAL_S = 20;
const REALTIME_ENV = { SYNC_INTERVAL: String(INTERVAL_S) };
const CYCLE = { backlog: 0, extraMs: INTERVAL_S * 1000 };
const REALTIME_MS = 5_000;

/** `bootsBefore`: central's boots before the fault; another one means it restarted (or was restarted). */
async function readyAgain(world: World, bootsBefore: number): Promise<Verdict> {
  const c = world.central;
  let ms = 0;
  try {
    ms = await waitUntil(
      async () => !c.running || (await fetch(`${c.url}/ready`)).status === 200,
      30_000,
      "central /ready",
    );
  } catch {
    return { ok: false, figure: "/ready not back after 30 s" };
  }
  if (!c.running) {
    // Central died of it: bring it back so the rest of the scenario can still reconcile.
    await c.start();
    return { ok: false, figure: "central crashed" };
  }
  return { ok: c.boots().length === bootsBefore, figure: `/ready back in ${ms} ms` };
}

export const postgresRestart: Scenario = {
  name: "postgres-restart",
  defects: "5 (LISTEN not re-established after a PostgreSQL restart)",
  async run(ctx: ScenarioContext) {
    return withWorld(ctx, "postgres-restart", { tills: 3, products: 8, agentEnv: REALTIME_ENV }, async (world) => {
      world.startSelling({ gapMs: 80 });
      await sleep(2_000);
      const verdicts: Verdict[] = [await pushDownVerdict(world, "before", REALTIME_MS)];
      const modes = ctx.full ? (["fast", "immediate", "fast", "immediate"] as const) : (["fast", "immediate"] as const);
      let back = Date.now();
      for (const mode of modes) {
        const boots = world.central.boots().length;
        await ctx.services.pg.restart(mode, 2_000);
        back = Date.now();
        verdicts.push(await readyAgain(world, boots));
        verdicts.push(await resumeVerdict(`${mode} restart`, world.tills, back, 10));
        verdicts.push(await pushDownVerdict(world, `after ${mode} restart`, REALTIME_MS));
      }
      const result = await settle(world, back, CYCLE);
      return { ...result, verdicts: [...verdicts, survivalVerdict(world)] };
    });
  },
};

/** Pulls (HTTP or over the socket) per till per second seen by the proxies over `ms`. */
async function pullRate(world: World, ms: number): Promise<number> {
  const count = () =>
    world.tills.reduce((s, t) => s + PULL_LINES.reduce((n, line) => n + (t.proxy.seen.get(line) ?? 0), 0), 0);
  const before = count();
  await sleep(ms);
  return (count() - before) / world.tills.length / (ms / 1000);
}

async function sweepVerdict(world: World): Promise<Verdict> {
  const victim = world.tills[2]!;
  await victim.writer.stop();
  await victim.agent.kill();
  const t0 = Date.now();
  try {
    // HEARTBEAT_TIMEOUT_S 5 plus one sweep period (15 s) plus slack.
    await waitUntil(async () => (await terminalStatus(world, victim)) === "OFFLINE", 30_000, "OFFLINE", 500);
    return { ok: true, figure: `heartbeat sweep: OFFLINE after ${((Date.now() - t0) / 1000).toFixed(0)} s` };
  } catch {
    return { ok: false, figure: "heartbeat sweep: terminal not OFFLINE after 30 s" };
  } finally {
    victim.agent.start();
  }
}

async function scheduleVerdict(world: World, id: string): Promise<Verdict> {
  const r = await world.api<{ schedules: Array<{ id: string; nextRunAt: string | null }> }>(
    "GET",
    "/api/sync/schedules",
  );
  const s = r.schedules.find((x) => x.id === id);
  return { ok: Boolean(s?.nextRunAt), figure: s?.nextRunAt ? "schedule kept" : "schedule lost" };
}

export const redisRestart: Scenario = {
  name: "redis-restart",
  defects: "6 (Redis restarted empty loses schedules, sweep, storms)",
  async run(ctx: ScenarioContext) {
    const options = { tills: 3, products: 8, agentEnv: REALTIME_ENV, centralEnv: { HEARTBEAT_TIMEOUT_S: "5" } };
    return withWorld(ctx, "redis-restart", options, async (world) => {
      world.startSelling({ gapMs: 80 });
      const created = await world.api<{ schedule?: { id: string } }>("POST", "/api/sync/schedules", {
        action: "create",
        cron: "*/5 * * * *",
      });
      await sleep(2_000);
      const verdicts: Verdict[] = [await pushDownVerdict(world, "before", REALTIME_MS)];
      const calm = await pullRate(world, 3_000);
      const boots = world.central.boots().length;
      await ctx.services.redis.restart(2_000);
      const back = Date.now();
      verdicts.push(await readyAgain(world, boots));
      verdicts.push(await resumeVerdict("tills", world.tills, back, 10));
      verdicts.push(await pushDownVerdict(world, "after", REALTIME_MS));
      const after = await pullRate(world, 5_000);
      verdicts.push({
        ok: after <= Math.max(2, calm * 3),
        figure: `pulls/till/s ${calm.toFixed(1)} before, ${after.toFixed(1)} after`,
      });
      if (created.schedule) verdicts.push(await scheduleVerdict(world, created.schedule.id));
      // The sweep check stops one till's agent on purpose; convergence counts from its restart.
      verdicts.push(await sweepVerdict(world));
      const result = await settle(world, Date.now(), CYCLE);
      return { ...result, verdicts: [...verdicts, survivalVerdict(world)] };
    });
  },
};
