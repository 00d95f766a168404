import { AGENT_SUITE_ENV } from "../lib/agent-process";
import { isPull } from "../lib/fault-proxy";
import { changePrices, resumeVerdict } from "../lib/probes";
import { settle, withWorld, type Scenario, type ScenarioContext, type Verdict } from "../lib/scenario";
import { pick, sleep } from "../lib/util";
import type { Till, World } from "../lib/world";

type KillPoint = "push" | "pull" | "apply" | "force";
const POINTS: KillPoint[] = ["push", "pull", "apply", "force"];

/** Resolves at the `nth` request `matches` through this till's proxy (false after `capMs`). */
function nthRequest(till: Till, matches: (line: string) => boolean, nth: number, capMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = 0;
    const off = till.proxy.onRequest((line) => {
      if (matches(line) && ++seen >= nth) done(true);
    });
    const timer = setTimeout(() => done(false), capMs);
    function done(hit: boolean) {
      clearTimeout(timer);
      off();
      resolve(hit);
    }
  });
}

/**
 * `startup --force` SIGKILLed at its second page, then run again to the end: it must finish
 * (exit 0) and keep every unsent sale. The daemon is down meanwhile; the till keeps selling.
 */
async function forceStartup(till: Till, ctx: ScenarioContext): Promise<boolean> {
  await till.agent.kill();
  const args = ["startup", "--force", "--page-size", "3"];
  const second = nthRequest(till, isPull, 2, 20_000);
  await till.agent.run(
    args,
    second.then(() => sleep(Math.floor(ctx.rand() * 20))),
  );
  const code = await till.agent.run(args);
  till.agent.start();
  return code === 0;
}

/** One SIGKILL of the victim's daemon at `point`, then a restart. */
async function crashOnce(world: World, victim: Till, ctx: ScenarioContext, point: KillPoint): Promise<Verdict | null> {
  if (point === "force") {
    const ok = await forceStartup(victim, ctx);
    return ok ? null : { ok: false, figure: "startup --force did not finish after a kill" };
  }
  let hit: Promise<boolean>;
  if (point === "push") hit = nthRequest(victim, (l) => l === "POST /api/sync/push", 1, 10_000);
  else {
    // Every price changes: the pull that follows spans several pages (SYNC_PULL_PAGE_SIZE 4),
    // each a GET or a sync:pull over the socket.
    hit = nthRequest(victim, isPull, point === "apply" ? 2 : 1, 10_000);
    await changePrices(world, world.products.length);
  }
  const ok = await hit;
  await sleep(Math.floor(ctx.rand() * (point === "apply" ? 40 : 10)));
  await victim.agent.kill();
  victim.agent.start();
  return ok ? null : { ok: false, figure: `no ${point} request seen to kill at` };
}

/**
 * The agent of one till SIGKILLed mid-push, mid-pull, mid-apply of a multi-page pull, and
 * mid-`startup --force`, its till selling throughout; another till sells beside it. G1 across
 * agent crashes: the outbox and the applied pull state survive every kill.
 */
export const agentCrash: Scenario = {
  name: "agent-crash",
  defects: "1 (lost update), 4 (breaker)",
  async run(ctx) {
    const world = {
      tills: 2,
      products: 12,
      tillEnv: (i: number) => (i === 0 ? { extra: { SYNC_PULL_PAGE_SIZE: "4" } } : {}),
    };
    return withWorld(ctx, "agent-crash", world, async (w) => {
      const victim = w.tills[0]!;
      w.startSelling({ gapMs: 80 });
      await sleep(1_500);
      const kills = ctx.full ? 33 : 4;
      const verdicts: Verdict[] = [];
      for (let i = 0; i < kills; i++) {
        const point = i < POINTS.length ? POINTS[i]! : pick(ctx.rand, POINTS);
        const v = await crashOnce(w, victim, ctx, point);
        if (v) verdicts.push(v);
        await sleep(800 + Math.floor(ctx.rand() * 1200));
      }
      const end = Date.now();
      const resumed = await resumeVerdict("victim", [victim], end);
      // The restarted daemon pushes its HIGH band on its interval cycle (SPEC §2; CRITICAL goes
      // at once), so the victim's last sales' lines and stock may wait one SYNC_INTERVAL after
      // its restart, whatever phase the kill left the timer in: the target allows that one cycle.
      const result = await settle(w, end, { backlog: 0, extraMs: Number(AGENT_SUITE_ENV.SYNC_INTERVAL) * 1000 });
      const restarts = w.tills.reduce((s, t) => s + t.agent.unexpectedExits, 0);
      verdicts.push({ ok: true, figure: `${kills} kills` }, resumed, {
        ok: restarts === 0,
        figure: restarts === 0 ? "no unexpected exits" : `${restarts} unexpected exits`,
      });
      return { ...result, verdicts };
    });
  },
};
