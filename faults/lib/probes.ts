import { DRAIN_PER_S, RESUME_MS, RSS_CAP_MB, type Verdict } from "./scenario";
import { sleep } from "./util";
import type { Till, World } from "./world";

/**
 * Measurements scenarios take while the tills keep selling: how long after a fault every row
 * committed before its end reached SYNCED, how long a central change takes to reach every till.
 */

/** The highest outbox id of each till now: rows up to it were committed before this moment. */
export function outboxMarks(tills: Till[]): number[] {
  return tills.map((t) =>
    t.read((db) => (db.prepare(`SELECT coalesce(max(id), 0) AS m FROM outbox`).get() as { m: number }).m),
  );
}

/** Rows of `t` up to outbox id `mark`, of priority ≥ `minPriority`, central has not answered yet. */
export function unsyncedUpTo(t: Till, mark: number, minPriority = 8): number {
  const sql = `SELECT count(*) AS n FROM outbox
               WHERE id <= ? AND sync_priority >= ? AND status NOT IN ('SYNCED', 'CONFLICT')`;
  return t.read((db) => (db.prepare(sql).get(mark, minPriority) as { n: number }).n);
}

/**
 * Time from `since` until every till has sent everything it committed before `since`, the
 * writers still selling (G9: back within 10 s plus the drain of the backlog). The verdict is
 * against that target; the wait gives up `graceMs` after it.
 */
export async function resumeVerdict(
  label: string,
  tills: Till[],
  since: number,
  /**
   * The bands judged: 8 = CRITICAL and HIGH (HIGH goes every cycle); MEDIUM and LOW wait for
   * their 2nd–5th cycle by design (SPEC §2). 10: CRITICAL only, pushed at once.
   */
  minPriority = 8,
  graceMs = 15_000,
): Promise<Verdict & { ms: number | null }> {
  const marks = outboxMarks(tills);
  const backlog = tills.reduce((s, t, i) => s + unsyncedUpTo(t, marks[i]!, minPriority), 0);
  const target = RESUME_MS + Math.ceil((backlog / DRAIN_PER_S) * 1000);
  for (;;) {
    const left = tills.reduce((s, t, i) => s + unsyncedUpTo(t, marks[i]!, minPriority), 0);
    const ms = Date.now() - since;
    if (left === 0) return { ok: ms <= target, ms, figure: `${label} resumed in ${(ms / 1000).toFixed(1)} s` };
    if (ms > target + graceMs)
      return { ok: false, ms: null, figure: `${label} not resumed after ${(ms / 1000).toFixed(0)} s (${left} unsent)` };
    await sleep(200);
  }
}

/** Sets a new price on `count` products at central (the admin API, so it enters the feed). */
export async function changePrices(world: World, count = 1): Promise<Map<string, number>> {
  const changed = new Map<string, number>();
  for (const p of world.products.slice(0, count)) {
    p.priceCents += 1;
    await world.api("POST", "/api/products", {
      id: p.id,
      sku: p.sku,
      name: `Product ${p.sku}`,
      priceCents: p.priceCents,
    });
    changed.set(p.id, p.priceCents);
  }
  return changed;
}

/** Time until every till shows `prices`; null after `capMs`. */
export async function priceArrival(tills: Till[], prices: Map<string, number>, capMs: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 <= capMs) {
    const all = tills.every((t) =>
      t.read((db) =>
        [...prices].every(
          ([id, price]) =>
            (db.prepare(`SELECT price_cents FROM products WHERE id = ?`).get(id) as { price_cents: number } | undefined)
              ?.price_cents === price,
        ),
      ),
    );
    if (all) return Date.now() - t0;
    await sleep(50);
  }
  return null;
}

/** A real-time verdict: a central price change reaches every till within `limitMs`. */
export async function pushDownVerdict(world: World, label: string, limitMs: number): Promise<Verdict> {
  const prices = await changePrices(world);
  const ms = await priceArrival(world.tills, prices, limitMs);
  return {
    ok: ms !== null,
    figure:
      ms === null ? `${label}: price not on tills after ${limitMs / 1000} s` : `${label}: price on tills in ${ms} ms`,
  };
}

export async function terminalStatus(world: World, till: Till): Promise<string> {
  const r = await world.pool.query(`SELECT status FROM terminals WHERE id = $1`, [till.terminalId]);
  return String(r.rows[0]?.status);
}

/** Peak RSS of every agent against the 256 MB cap (issue 11's target). */
export function rssVerdict(world: World, capMb = RSS_CAP_MB): Verdict {
  const peak = Math.max(...world.tills.map((t) => t.agent.peakRssMb));
  return { ok: peak <= capMb, figure: `agent peak RSS ${peak.toFixed(0)} MB` };
}

/** No agent daemon died without being killed by the scenario. */
export function survivalVerdict(world: World): Verdict {
  const exits = world.tills.reduce((s, t) => s + t.agent.unexpectedExits, 0);
  return { ok: exits === 0, figure: exits === 0 ? "agents alive" : `${exits} agent crash(es)` };
}
