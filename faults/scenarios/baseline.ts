import { settle, withWorld, type Scenario } from "../lib/scenario";
import { sleep } from "../lib/util";

/**
 * No fault: three tills selling multi-step tickets (PENDING, then COMPLETED in a second
 * transaction a few milliseconds later). Must reconcile with zero mismatches; a COMPLETED
 * ticket that stays PENDING at central is issue 11's defect 1 (lost update).
 */
export const baseline: Scenario = {
  name: "baseline",
  defects: "1 (lost update of multi-step tickets)",
  async run(ctx) {
    return withWorld(ctx, "baseline", { tills: 3, products: 8 }, async (world) => {
      world.startSelling({ gapMs: 60 });
      await sleep(ctx.full ? 60_000 : 10_000);
      const end = Date.now();
      return { ...(await settle(world, end)), verdicts: [] };
    });
  },
};
