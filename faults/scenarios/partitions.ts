import { PULL_LINES, type LinkMode } from "../lib/fault-proxy";
import { changePrices, outboxMarks, resumeVerdict, survivalVerdict, unsyncedUpTo } from "../lib/probes";
import { settle, withWorld, type Scenario, type Verdict } from "../lib/scenario";
import { sleep } from "../lib/util";
import type { Till } from "../lib/world";

/**
 * Partitions between tills and central, the writers selling throughout. Each ends with the
 * link healed, the tills back within 10 s plus their backlog's drain (G9, defect 4 when not),
 * and full reconciliation. A price changed at central during the fault must reach the tills.
 */
function partition(name: string, mode: LinkMode, description: string, gapMs = 80): Scenario {
  return {
    name,
    defects: "4 (breaker slow to resume), 1",
    async run(ctx) {
      return withWorld(ctx, name, { tills: 3, products: 8 }, async (world) => {
        world.startSelling({ gapMs });
        await sleep(2_000);
        const cut = name === "partition-one-till" ? [world.tills[2]!] : world.tills;
        // A slow link still carries sync: the slowed tills themselves must keep up.
        const others = mode.kind === "slow" ? cut : world.tills.filter((t) => !cut.includes(t));
        const rounds = ctx.full ? 4 : 1;
        const verdicts: Verdict[] = [];
        let healedAt = Date.now();
        for (let i = 0; i < rounds; i++) {
          const traffic = trafficOf(cut);
          for (const t of cut) t.proxy.set(mode);
          await changePrices(world, 2);
          // On a slow link the tills may lag, but by no more than G9's 10 s.
          const windowMs = mode.kind === "slow" ? 10_000 : 5_000;
          const faultMs = Math.max(ctx.full ? 30_000 : 8_000, windowMs + 3_000);
          verdicts.push(...(await othersKeepSyncing(others, faultMs, windowMs)));
          if (mode.kind === "slow") verdicts.push({ ok: true, figure: traffic() });
          for (const t of cut) t.proxy.set({ kind: "pass" });
          healedAt = Date.now();
          verdicts.push(await resumeVerdict(`round ${i + 1}`, cut, healedAt));
        }
        const result = await settle(world, healedAt, { backlog: 0 });
        return { ...result, verdicts: [{ ok: true, figure: description }, ...verdicts, survivalVerdict(world)] };
      });
    },
  };
}

/** What went over the tills' links from now until the returned function is called, per till. */
function trafficOf(tills: Till[]): () => string {
  const count = (line: string) => tills.reduce((s, t) => s + (t.proxy.seen.get(line) ?? 0), 0);
  const pulls = () => PULL_LINES.reduce((s, line) => s + count(line), 0);
  const conns = () => tills.reduce((s, t) => s + t.proxy.connections, 0);
  const start = { push: count("POST /api/sync/push"), pull: pulls(), conns: conns() };
  return () => {
    const per = (n: number) => (n / tills.length).toFixed(0);
    const push = per(count("POST /api/sync/push") - start.push);
    const pull = per(pulls() - start.pull);
    return `per till during the fault: ${push} pushes, ${pull} pulls, ${per(conns() - start.conns)} connections`;
  };
}

/**
 * While one till is cut off, the others keep syncing (and slowed tills keep up): everything
 * they committed before the last `windowMs` of the fault has reached central by its end.
 */
async function othersKeepSyncing(others: Till[], faultMs: number, windowMs: number): Promise<Verdict[]> {
  if (others.length === 0) {
    await sleep(faultMs);
    return [];
  }
  await sleep(faultMs - windowMs);
  const marks = outboxMarks(others);
  await sleep(windowMs);
  const late = others.reduce((s, t, i) => s + unsyncedUpTo(t, marks[i]!), 0);
  return [{ ok: late === 0, figure: late === 0 ? "others kept syncing" : `others ${late} rows behind` }];
}

export const partitionDrop = partition("partition-drop", { kind: "drop" }, "links reset (RST) and refused");
export const partitionBlackhole = partition("partition-blackhole", { kind: "blackhole" }, "links silent (no RST)");
// A link this slow carries a few sync round trips a second: the tills sell at a busy shop's
// pace (about 3 tickets a second each) rather than the flat-out pace of the other scenarios.
export const partitionSlow = partition("partition-slow", { kind: "slow", delayMs: 200 }, "200 ms each way", 300);
export const partitionOneTill = partition("partition-one-till", { kind: "drop" }, "one till cut, two selling");
