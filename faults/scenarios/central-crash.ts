import { isPull } from "../lib/fault-proxy";
import { changePrices, resumeVerdict, survivalVerdict } from "../lib/probes";
import { settle, withWorld, type Scenario, type ScenarioContext, type Verdict } from "../lib/scenario";
import { pick, sleep } from "../lib/util";
import type { World } from "../lib/world";

type KillPoint = "boot" | "push" | "pull" | "random";
const POINTS: KillPoint[] = ["boot", "push", "pull", "random"];

/** Resolves when any till's proxy sees a request `matches`, or after `capMs` (then resolves false). */
function anyRequest(world: World, matches: (line: string) => boolean, capMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const offs = world.tills.map((t) =>
      t.proxy.onRequest((line) => {
        if (!matches(line)) return;
        done(true);
      }),
    );
    const timer = setTimeout(() => done(false), capMs);
    function done(hit: boolean) {
      clearTimeout(timer);
      offs.forEach((off) => off());
      resolve(hit);
    }
  });
}

/** One SIGKILL of central at `point`, then a restart that is left to come up. */
async function crashOnce(world: World, ctx: ScenarioContext, point: KillPoint): Promise<boolean> {
  const c = world.central;
  let hit = true;
  if (point === "boot") {
    await c.kill();
    c.spawn();
    // Somewhere in migrate → listen → hub start (a boot takes 1–3 s here).
    await sleep(200 + Math.floor(ctx.rand() * 1500));
  } else if (point === "push") {
    hit = await anyRequest(world, (l) => l === "POST /api/sync/push", 5_000);
    await sleep(Math.floor(ctx.rand() * 15));
  } else if (point === "pull") {
    const pulled = anyRequest(world, isPull, 5_000);
    await changePrices(world, 3);
    hit = await pulled;
    await sleep(Math.floor(ctx.rand() * 15));
  } else {
    await sleep(Math.floor(ctx.rand() * 3000));
  }
  await c.kill();
  c.spawn();
  await c.waitReady();
  return hit;
}

/** A boot that got as far as the hub decides whether it starts a cluster; after a crash it must. */
function restartVerdict(world: World): Verdict {
  const boots = world.central.boots().slice(1);
  const decided = boots.filter((b) => b.cluster !== null);
  const first = decided.filter((b) => b.cluster === "first").length;
  return { ok: first === decided.length, figure: `SERVER_RESTART after ${first}/${decided.length} restarts` };
}

/**
 * Central SIGKILLed again and again while three tills sell: during its boot, with a push in
 * flight, with a pull in flight, at random. Nothing may be lost or doubled (G1), every restart
 * after a crash sends SERVER_RESTART (defect 3), and the tills are back within 10 s of the last
 * restart (defect 4: the breaker).
 */
export const centralCrash: Scenario = {
  name: "central-crash",
  defects: "3 (no SERVER_RESTART after a crash), 4 (breaker), 1",
  async run(ctx) {
    return withWorld(ctx, "central-crash", { tills: 3, products: 8 }, async (world) => {
      world.startSelling({ gapMs: 80 });
      await sleep(2_000);
      const kills = ctx.full ? 32 : 4;
      let missed = 0;
      for (let i = 0; i < kills; i++) {
        const point = i < POINTS.length ? POINTS[i]! : pick(ctx.rand, POINTS);
        if (!(await crashOnce(world, ctx, point))) missed++;
        await sleep(500 + Math.floor(ctx.rand() * 1500));
      }
      const end = Date.now();
      const resumed = await resumeVerdict("tills", world.tills, end);
      const result = await settle(world, end, { backlog: 0 });
      const verdicts = [
        { ok: missed === 0, figure: `${kills} kills${missed ? ` (${missed} without the request awaited)` : ""}` },
        restartVerdict(world),
        resumed,
        survivalVerdict(world),
      ];
      return { ...result, verdicts };
    });
  },
};
