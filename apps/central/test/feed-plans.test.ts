import { Pool } from "pg";
import type { SyncTable } from "@tillsync/shared";
import { createTestDatabase } from "@tillsync/testkit";
import { changeFeedStore, FEED_PAGE_SQL, feedPageLiteralSql, ORDERED_INDEX_SCANS_ONLY } from "../src/store/change-feed";
import { migrateCentral } from "../src/store/migrate";
import { withTransaction } from "../src/store/transaction";

/**
 * The feed queries stay cheap on a freshly filled table, before any ANALYZE (this machine's
 * PostgreSQL runs without autovacuum, and a restored or bulk-loaded production database starts
 * the same way): every plan reads the feed through an index, in position order, and sorts
 * nothing. The plans are read with EXPLAIN (FORMAT JSON), never timed.
 */
const BUSY = "00000000-0000-4000-8000-00000000000b";
const QUIET = "00000000-0000-4000-8000-00000000000a";
const ROWS = 50_000;

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** Every node of a plan, with what each change_feed scan used ("Index Scan on <index>"). */
function planNodes(plan: PlanNode): string[] {
  return nodes(plan).map((n) =>
    n["Relation Name"] ? `${n["Node Type"]} on ${n["Index Name"] ?? n["Relation Name"]}` : n["Node Type"],
  );
}

describe("change feed plans on a freshly filled feed (no statistics)", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase("plans");
    pool = new Pool({ connectionString: database.url, max: 2 });
    await migrateCentral(pool);
    // 50k entries of a busy store, one in 250 an all-stores row and one in 2,500 the quiet
    // store's: the quiet store's pages must not read the busy store's entries.
    await pool.query(
      `INSERT INTO change_feed (position, entity_type, entity_id, operation, store_id)
       SELECT g, CASE WHEN g % 250 = 0 THEN 'products' ELSE 'inventory_items' END, gen_random_uuid(), 'UPSERT',
              CASE WHEN g % 250 = 0 THEN NULL WHEN g % 2500 = 1 THEN $2::uuid ELSE $1::uuid END
         FROM generate_series(1, $3::int) g`,
      [BUSY, QUIET, ROWS],
    );
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  async function explain(sql: string, values: unknown[], settings?: string): Promise<PlanNode> {
    return withTransaction(pool, async (c) => {
      if (settings) await c.query(settings);
      const { rows } = await c.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (FORMAT JSON) ${sql}`,
        values,
      );
      return rows[0]!["QUERY PLAN"][0]!.Plan;
    });
  }

  /** Plan checks: feed reads by index only, no sort; each for both stores and two cursors. */
  function expectIndexOrdered(plan: PlanNode): void {
    const seen = planNodes(plan);
    expect(seen.filter((n) => /Sort|Seq Scan|Bitmap/.test(n))).toEqual([]);
    for (const n of seen.filter((n) => n.includes(" on "))) expect(n).toMatch(/^Index (Only )?Scan on change_feed_/);
  }

  it("has no statistics to go by (the premise of the other checks)", async () => {
    const { rows } = await pool.query(`SELECT 1 FROM pg_stats WHERE tablename = 'change_feed'`);
    expect(rows).toEqual([]);
  });

  it.each([
    ["the busy store from 0", BUSY, "0"],
    ["the quiet store from 0", QUIET, "0"],
    ["the quiet store from the middle", QUIET, String(ROWS / 2)],
    ["the busy store near the head", BUSY, String(ROWS - 10)],
  ])("reads a page for %s as ordered index range scans, merged, with no sort", async (_label, store, since) => {
    const plan = await explain(FEED_PAGE_SQL, [since, store, null, 500], ORDERED_INDEX_SCANS_ONLY);
    expectIndexOrdered(plan);
    expect(planNodes(plan)).toEqual(
      expect.arrayContaining([
        "Merge Append",
        "Index Scan on change_feed_global_position_idx",
        "Index Scan on change_feed_store_id_position_idx",
      ]),
    );
  });

  // readPage sends the settings and the page in one simple-protocol message, with literals.
  it.each([
    ["the busy store from 0", BUSY, "0", undefined],
    ["the quiet store from the middle", QUIET, String(ROWS / 2), undefined],
    ["the quiet store's products", QUIET, "0", "products"],
  ])("plans the page as readPage sends it (%s) the same way", async (_label, store, since, entityType) => {
    const sql = feedPageLiteralSql({ since, storeId: store, entityType, limit: 500 });
    const results = (await pool.query(
      `${ORDERED_INDEX_SCANS_ONLY}; EXPLAIN (FORMAT JSON) ${sql}`,
    )) as unknown as Array<{
      rows: Array<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>;
    }>;
    const plan = results[1]!.rows[0]!["QUERY PLAN"][0]!.Plan;
    expectIndexOrdered(plan);
    expect(planNodes(plan)).toContain("Merge Append");
  });

  it("leaves the planner settings of the page's connection as they were, and refuses values it cannot write in", async () => {
    const one = new Pool({ connectionString: database.url, max: 1 });
    try {
      const settings = async () =>
        (
          await one.query(
            `SELECT current_setting('enable_seqscan') AS s, current_setting('enable_bitmapscan') AS b, current_setting('jit') AS j`,
          )
        ).rows[0];
      const before = await settings();
      expect(before).toMatchObject({ s: "on", b: "on" });
      const page = await changeFeedStore(one).readPage({ since: "0", storeId: QUIET, limit: 3 });
      expect(page).toHaveLength(3);
      expect(await settings()).toEqual(before);
      for (const bad of [
        { since: "0; DROP TABLE change_feed", storeId: QUIET, limit: 3 },
        { since: "0", storeId: `${QUIET.slice(0, 35)}'`, limit: 3 },
        { since: "0", storeId: QUIET, limit: 0 },
      ])
        await expect(changeFeedStore(one).readPage(bad)).rejects.toThrow(/feed page/);
      const quoted = await changeFeedStore(one).readPage({
        since: "0",
        storeId: QUIET,
        entityType: "it's" as SyncTable,
        limit: 3,
      });
      expect(quoted).toEqual([]);
    } finally {
      await one.end();
    }
  });

  it("keeps that plan with an entity type filter", async () => {
    expectIndexOrdered(await explain(FEED_PAGE_SQL, ["0", QUIET, "products", 500], ORDERED_INDEX_SCANS_ONLY));
  });

  // Proves the check can fail, and why the page sets its planner options: the old one-condition
  // form, and the new one without the options, both sort on this table.
  it("would see a sort in the old query shape, and in the new one without its planner settings", async () => {
    const old = await explain(
      `SELECT position, entity_type, entity_id FROM change_feed
        WHERE position > $1 AND (store_id IS NULL OR store_id = $2) ORDER BY position LIMIT $3`,
      ["0", QUIET, 500],
    );
    expect(planNodes(old)).toContain("Sort");
    const unset = await explain(FEED_PAGE_SQL, ["0", QUIET, null, 500]);
    expect(planNodes(unset)).toContain("Sort");
  });

  it("pages through each store's scope exactly as the feed holds it, in order", async () => {
    const feed = changeFeedStore(pool);
    for (const store of [QUIET, BUSY]) {
      const { rows } = await pool.query<{ position: string }>(
        `SELECT position::text FROM change_feed WHERE store_id IS NULL OR store_id = $1`,
        [store],
      );
      const expected = rows.map((r) => BigInt(r.position)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const got: bigint[] = [];
      let since = "0";
      for (;;) {
        const page = await feed.readPage({ since, storeId: store, limit: 997 });
        got.push(...page.map((e) => BigInt(e.position)));
        if (page.length < 997) break;
        since = page[page.length - 1]!.position;
      }
      expect(got).toEqual(expected);
    }
    const products = await feed.readPage({ since: "0", storeId: QUIET, entityType: "products", limit: 5 });
    expect(products.map((e) => [e.position, e.entityType])).toEqual(
      [250, 500, 750, 1000, 1250].map((p) => [String(p), "products"]),
    );
  });

  it("finds the head, the unnumbered rows and the stores changed in a range through indexes", async () => {
    for (const [sql, values] of [
      [`SELECT coalesce(max(position), 0)::text AS top FROM change_feed`, []],
      [`SELECT 1 FROM change_feed WHERE position IS NULL LIMIT 1`, []],
      [
        `SELECT DISTINCT store_id FROM change_feed WHERE position > $1::bigint AND position <= $2::bigint`,
        ["100", "600"],
      ],
    ] as Array<[string, unknown[]]>) {
      const scans = planNodes(await explain(sql, values)).filter((n) => n.includes(" on "));
      expect(scans.length).toBeGreaterThan(0);
      for (const n of scans) expect(n).not.toMatch(/Seq Scan/);
    }
  });

  it("keeps the page plan once statistics exist", async () => {
    await pool.query(`ANALYZE change_feed`);
    for (const store of [BUSY, QUIET])
      expectIndexOrdered(await explain(FEED_PAGE_SQL, ["0", store, null, 500], ORDERED_INDEX_SCANS_ONLY));
  });
});
