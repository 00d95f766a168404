/**
 * A pull's page of the change feed on a freshly filled feed table (no ANALYZE: this machine's
 * PostgreSQL runs without autovacuum, and a bulk-loaded or restored database starts the same
 * way). N entries: one in 250 an all-stores row, one in 2,500 a quiet store's, the rest a busy
 * store's. Each store's scope is paged from cursor 0 in pages of 1,000 (at most 30 pages) with
 * central's page read (changeFeedStore().readPage, store/change-feed.ts); baseline, same run and
 * same table: the one-condition query it replaced (`store_id IS NULL OR store_id = $2`).
 *   npx tsx bench/feed-page.ts [entries=300000]
 */
import { Pool } from "pg";
import { changeFeedStore } from "@tillsync/central";
import { createDatabase, fmt, onCleanup, runBench, spawnCentral } from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";

const ENTRIES = Number(process.argv[2] ?? 300_000);
const BUSY = "00000000-0000-4000-8000-00000000000b";
const QUIET = "00000000-0000-4000-8000-00000000000a";
const PAGE = 1000;

const OLD = `SELECT position, entity_type AS "entityType", entity_id AS "entityId" FROM change_feed
  WHERE position > $1 AND (store_id IS NULL OR store_id = $2) ORDER BY position LIMIT $3`;

type PageRead = (since: string, store: string) => Promise<Array<{ position: string }>>;

/** Milliseconds per page, sorted, paging one store's scope from 0. */
async function pageTimes(read: PageRead, store: string): Promise<number[]> {
  const times: number[] = [];
  let since = "0";
  for (let n = 0; n < 30; n++) {
    const t0 = performance.now();
    const rows = await read(since, store);
    times.push(performance.now() - t0);
    if (rows.length < PAGE) break;
    since = rows[rows.length - 1]!.position;
  }
  return times.sort((a, b) => a - b);
}

const median = (s: number[]) => s[Math.floor(s.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const db = await createDatabase("feedpage");
  // Central applies the migrations (the scope indexes); the bench needs no more of it.
  const central = await spawnCentral(db.url);
  central.stop();
  const pool = new Pool({ connectionString: db.url, max: 1 });
  onCleanup(() => pool.end());
  await pool.query(
    `INSERT INTO change_feed (position, entity_type, entity_id, operation, store_id)
     SELECT g, CASE WHEN g % 250 = 0 THEN 'products' ELSE 'inventory_items' END, gen_random_uuid(), 'UPSERT',
            CASE WHEN g % 250 = 0 THEN NULL WHEN g % 2500 = 1 THEN $2::uuid ELSE $1::uuid END
       FROM generate_series(1, $3::int) g`,
    [BUSY, QUIET, ENTRIES],
  );
  for (const [label, store] of [
    ["busy store", BUSY],
    ["quiet store", QUIET],
  ] as const) {
    const feed = changeFeedStore(pool);
    const old = await pageTimes(async (since, s) => (await pool.query(OLD, [since, s, PAGE])).rows, store);
    const now = await pageTimes((since, s) => feed.readPage({ since, storeId: s, limit: PAGE }), store);
    console.log(
      `feed page, ${label}, ${fmt(ENTRIES)} entries, no statistics: ${now.length} pages of ${PAGE}, ` +
        `median ${median(now).toFixed(1)} ms, max ${now[now.length - 1]!.toFixed(1)} ms; ` +
        `baseline (the OR query): median ${median(old).toFixed(1)} ms, max ${old[old.length - 1]!.toFixed(1)} ms`,
    );
    reportFigure({
      bench: "feed-page",
      figure: `feed page of ${PAGE}, ${label}, ${fmt(ENTRIES)} entries without statistics, median (baseline: the OR query)`,
      value: median(now),
      unit: "ms",
      baseline: median(old),
      target: "—",
      met: null,
    });
  }
}

runBench("feed-page", main);
