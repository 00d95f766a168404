import { existsSync } from "node:fs";
import { resumeVerdict, survivalVerdict, terminalStatus } from "../lib/probes";
import { settle, withWorld, type Scenario, type Verdict } from "../lib/scenario";
import { sleep } from "../lib/util";
import type { World } from "../lib/world";

/** Debian's libfaketime (`apt-get install -y libfaketime`; .ci/run installs it when missing). */
const LIBFAKETIME = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1"].find(
  (p) => existsSync(p),
);

/** The till's agent and its till software both run a day off; timers keep the real monotonic clock. */
const skewed = (offset: string) => ({
  processEnv: { LD_PRELOAD: LIBFAKETIME!, FAKETIME: offset, DONT_FAKE_MONOTONIC: "1", FAKETIME_DONT_RESET: "1" },
});

async function healthVerdict(world: World): Promise<Verdict> {
  const statuses = await Promise.all(world.tills.map((t) => terminalStatus(world, t)));
  const ok = statuses.every((s) => s === "ONLINE");
  return { ok, figure: ok ? "all ONLINE at central" : `statuses ${statuses.join("/")}` };
}

/**
 * Clock skew of −1 day (till 2) and +1 day (till 3) against central and till 1, the tills
 * selling and a partition in between: ordering, reconciliation and health must not depend on a
 * till's clock (the feed cursor is central's commit order; created_at is the till's own data).
 */
export const clockSkew: Scenario = {
  name: "clock-skew",
  defects: "1 (lost update); a FAIL on health means clock-dependent heartbeat handling",
  async run(ctx) {
    if (!LIBFAKETIME) throw new Error("libfaketime is not installed: apt-get install -y libfaketime");
    const tillEnv = (i: number) => (i === 1 ? skewed("-1d") : i === 2 ? skewed("+1d") : {});
    return withWorld(ctx, "clock-skew", { tills: 3, products: 8, tillEnv }, async (world) => {
      world.startSelling({ gapMs: 80 });
      await sleep(ctx.full ? 20_000 : 4_000);
      for (const t of world.tills) t.proxy.set({ kind: "drop" });
      await sleep(ctx.full ? 20_000 : 2_000);
      for (const t of world.tills) t.proxy.set({ kind: "pass" });
      const healedAt = Date.now();
      const verdicts: Verdict[] = [await resumeVerdict("after a cut", world.tills, healedAt)];
      verdicts.push(await healthVerdict(world));
      const result = await settle(world, healedAt, { backlog: 0 });
      return { ...result, verdicts: [{ ok: true, figure: "skew −1 d / +1 d" }, ...verdicts, survivalVerdict(world)] };
    });
  },
};
