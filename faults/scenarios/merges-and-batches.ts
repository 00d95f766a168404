import { resumeVerdict, survivalVerdict } from "../lib/probes";
import { settle, withWorld, type Scenario } from "../lib/scenario";
import { sleep } from "../lib/util";

/**
 * Batch boundaries: batches of 7 changes and tickets of up to 9 lines, so an order, its lines,
 * its payment and its adjustments are split across pushes, plus a cut that leaves a backlog
 * drained batch by batch. A child must never reach central before its parent (G5): central
 * rejects an orphan, which then shows as FAILED or missing here.
 */
export const batchBoundaries: Scenario = {
  name: "batch-boundaries",
  defects: "1 (the CREATE/UPDATE of one order in different batches, out of order)",
  async run(ctx) {
    const options = { tills: 2, products: 10, customers: 3, agentEnv: { SYNC_BATCH_SIZE: "7" } };
    return withWorld(ctx, "batch-boundaries", options, async (world) => {
      world.startSelling({ gapMs: 100, maxLines: 9 });
      await sleep(ctx.full ? 20_000 : 4_000);
      world.tills[0]!.proxy.set({ kind: "drop" });
      // Short enough in the short form not to open the breaker (scenarios above test that).
      await sleep(ctx.full ? 20_000 : 2_000);
      world.tills[0]!.proxy.set({ kind: "pass" });
      const healedAt = Date.now();
      const resumed = await resumeVerdict("after a cut", world.tills, healedAt);
      const result = await settle(world, healedAt, { backlog: 0 });
      return { ...result, verdicts: [{ ok: true, figure: "batch 7, ≤ 9 lines" }, resumed, survivalVerdict(world)] };
    });
  },
};

/**
 * Loyalty merges from many tills: every ticket of 80 % belongs to one of five shared customers,
 * and completing it adds points and spend (MERGE delta fields), about 40 increments a second in
 * all; one till goes offline for a while so its increments arrive coalesced. Central must equal
 * start + every increment exactly once, and every till central's value (G4).
 */
export const loyaltyMerges: Scenario = {
  name: "loyalty-merges",
  defects: "2 (loyalty merges do not add up)",
  async run(ctx) {
    const options = { tills: ctx.full ? 5 : 3, products: 6, customers: 5 };
    return withWorld(ctx, "loyalty-merges", options, async (world) => {
      world.startSelling({ gapMs: ctx.full ? 60 : 30 });
      await sleep(ctx.full ? 30_000 : 10_000);
      world.tills[0]!.proxy.set({ kind: "drop" });
      // Short enough in the short form not to open the breaker (scenarios above test that).
      await sleep(ctx.full ? 20_000 : 2_000);
      world.tills[0]!.proxy.set({ kind: "pass" });
      const healedAt = Date.now();
      const resumed = await resumeVerdict("after a cut", world.tills, healedAt);
      const result = await settle(world, healedAt, { backlog: 0 });
      return { ...result, verdicts: [resumed, survivalVerdict(world)] };
    });
  },
};
