import { outboxMarks, resumeVerdict, rssVerdict, survivalVerdict } from "../lib/probes";
import { settle, withWorld, type Scenario, type Verdict } from "../lib/scenario";
import { sleep } from "../lib/util";
import type { Till } from "../lib/world";

const BATCH = 100;

/**
 * Watches the drain of `till`'s backlog (rows up to `mark`): CRITICAL rows (10: completed
 * orders, their lines and payments) must leave before lower bands, so while more than two
 * batches of CRITICAL rows wait, no more than two batches of lower rows may have gone.
 */
async function watchPriorities(till: Till, mark: number, until: Promise<unknown>): Promise<Verdict> {
  const sql = `SELECT sum(sync_priority >= 10 AND status <> 'SYNCED') AS critical,
                      sum(sync_priority < 10 AND status = 'SYNCED') AS lower
               FROM outbox WHERE id <= ?`;
  const read = () => till.read((db) => db.prepare(sql).get(mark) as { critical: number | null; lower: number | null });
  const lowerAtHeal = read().lower ?? 0;
  let done = false;
  void until.finally(() => (done = true));
  let worst = 0;
  while (!done) {
    const r = read();
    const lowerSent = (r.lower ?? 0) - lowerAtHeal;
    if ((r.critical ?? 0) > 2 * BATCH) worst = Math.max(worst, lowerSent);
    await sleep(100);
  }
  return {
    ok: worst <= 2 * BATCH,
    figure: worst <= 2 * BATCH ? "priorities kept" : `${worst} lower-priority rows before CRITICAL ones`,
  };
}

/**
 * One till offline for a long time sells a large backlog flat out (its link refuses every
 * connection); the other keeps selling online. Back online, it must drain by priority with its
 * agent under 256 MB, within 10 s plus the drain time.
 */
export const longOffline: Scenario = {
  name: "long-offline",
  defects: "4 (breaker: the till waits out 5 minutes before it drains)",
  async run(ctx) {
    return withWorld(ctx, "long-offline", { tills: 2, products: 10 }, async (world) => {
      const [online, offline] = world.tills as [Till, Till];
      world.startSelling({ gapMs: 150 }, [online]);
      offline.proxy.set({ kind: "drop" });
      const tickets = ctx.full ? 10_000 : 1_200;
      offline.writer.start({ gapMs: 0, completeDelayMaxMs: 2, maxTickets: tickets });
      await offline.writer.finished();
      const [mark] = outboxMarks([offline]);
      offline.proxy.set({ kind: "pass" });
      const healedAt = Date.now();
      const resumed = resumeVerdict("backlog", [offline], healedAt);
      const priorities = watchPriorities(offline, mark!, resumed);
      const verdicts = [await resumed, await priorities];
      const result = await settle(world, healedAt, { backlog: mark });
      return { ...result, verdicts: [...verdicts, rssVerdict(world), survivalVerdict(world)] };
    });
  },
};
