import { randomUUID } from "node:crypto";
import { compactFeedAndExpireHistory, retentionDaysOf } from "../src/hub/feed-compaction-and-retention";
import { useTestCentral } from "../testing";
import { TerminalClient } from "@tillsync/testkit";

interface Pulled {
  changes: Array<{ entityType: string; entityId: string; data: { price_cents?: number } | null }>;
  nextCursor: string;
}

const { central, pg } = useTestCentral("cleanup");
const DAYS = () => retentionDaysOf(central.config);

/** Feed compaction keeps what any terminal, old or new, still needs. */
describe("hub cleanup", () => {
  const feedOf = async (id: string) =>
    (await pg.query(`SELECT position FROM change_feed WHERE entity_id = $1 ORDER BY position`, [id])).rows.map((r) =>
      String(r.position),
    );

  it("deletes only superseded entries at or below every terminal's acked cursor; a new terminal still gets every row", async () => {
    const t1 = await central.provisionTerminal();
    const t2 = await central.provisionTerminal({ storeId: t1.storeId });
    const a = new TerminalClient(central.url, t1.terminalId, t1.key);
    const b = new TerminalClient(central.url, t2.terminalId, t2.key);
    const p1 = randomUUID();
    const p2 = randomUUID();
    const put = (id: string, price: number) =>
      central.admin("POST", "/api/products", { id, sku: `C-${id.slice(0, 8)}`, name: "c", priceCents: price });
    await put(p1, 100);
    await put(p1, 110);
    await put(p2, 200);
    // Both terminals pull and acknowledge everything so far.
    for (const t of [a, b]) {
      const page = (await t.raw("GET", "/api/sync/pull?since=0")).body as unknown as Pulled;
      await t.raw("POST", "/api/sync/acknowledge", { terminalId: t.terminalId, cursor: page.nextCursor });
    }
    const ackedA = (await a.raw("GET", "/api/sync/pull?since=0")).body as unknown as Pulled;
    await put(p1, 120); // after the acks: the entries of p1 below the cursor are superseded
    await put(p2, 210);
    // Terminal b falls behind: it has not acknowledged the newest changes.
    const lastA = (await a.raw("GET", `/api/sync/pull?since=${ackedA.nextCursor}`)).body as unknown as Pulled;
    await a.raw("POST", "/api/sync/acknowledge", { terminalId: a.terminalId, cursor: lastA.nextCursor });

    const before1 = await feedOf(p1);
    const before2 = await feedOf(p2);
    expect(before1).toHaveLength(3);
    const r = await compactFeedAndExpireHistory(central.running.store, DAYS());
    expect(r.feed).toBe(3); // p1's first two, p2's first: superseded and below b's cursor
    expect(await feedOf(p1)).toEqual([before1[2]]);
    expect(await feedOf(p2)).toEqual([before2[1]]);

    // Terminal b, behind, still receives both rows; a new terminal from 0 receives every row.
    const behind = (await b.raw("GET", `/api/sync/pull?since=${ackedA.nextCursor}`)).body as unknown as Pulled;
    expect(
      behind.changes
        .filter((c) => c.entityType === "products")
        .map((c) => c.data?.price_cents)
        .sort(),
    ).toEqual([120, 210]);
    const t3 = await central.provisionTerminal({ storeId: t1.storeId });
    const fresh = new TerminalClient(central.url, t3.terminalId, t3.key);
    const all = (await fresh.raw("GET", "/api/sync/pull?since=0")).body as unknown as Pulled;
    const prices = new Map(all.changes.map((c) => [c.entityId, c.data?.price_cents]));
    expect(prices.get(p1)).toBe(120);
    expect(prices.get(p2)).toBe(210);
    // A second run finds nothing more to delete (t3 has acked nothing: the floor is 0).
    expect((await compactFeedAndExpireHistory(central.running.store, DAYS())).feed).toBe(0);
  });

  it("deletes sync_history older than the retention", async () => {
    const t = await central.provisionTerminal();
    await pg.query(
      `INSERT INTO sync_history (terminal_id, kind, started_at) VALUES ($1, 'OLD', now() - interval '40 days'), ($1, 'NEW', now())`,
      [t.terminalId],
    );
    const r = await compactFeedAndExpireHistory(central.running.store, DAYS());
    expect(r.history).toBe(1);
    expect((await pg.query(`SELECT kind FROM sync_history WHERE terminal_id = $1`, [t.terminalId])).rows).toEqual([
      { kind: "NEW" },
    ]);
  });

  it("deletes sync runs (and their terminals' parts) older than the retention", async () => {
    const t = await central.provisionTerminal();
    const { rows } = await pg.query<{ id: string; started_at: Date }>(
      `INSERT INTO sync_runs (type, sync_type, attempt_timeout_s, started_at, completed_at, outcome)
       VALUES ('MANUAL', 'FULL', 30, now() - interval '40 days', now() - interval '40 days', 'SUCCESS'),
              ('MANUAL', 'FULL', 30, now(), NULL, 'RUNNING') RETURNING id, started_at`,
    );
    for (const r of rows)
      await pg.query(`INSERT INTO sync_run_terminals (run_id, terminal_id, trigger_at) VALUES ($1, $2, now())`, [
        r.id,
        t.terminalId,
      ]);
    const r = await compactFeedAndExpireHistory(central.running.store, DAYS());
    expect(r.runs).toBe(1);
    const left = await pg.query(`SELECT run_id FROM sync_run_terminals WHERE terminal_id = $1`, [t.terminalId]);
    expect(left.rows).toEqual([{ run_id: rows[1]!.id }]);
  });

  it("deletes console sessions that ended or expired more than a day ago, and keeps the others", async () => {
    await pg.query(
      `INSERT INTO operator_sessions (id_hash, operator_name, role, csrf_token, expires_at, ended_at) VALUES
         ('old-expired', 'owner', 'admin', 'c', now() - interval '2 days', NULL),
         ('old-ended', 'owner', 'admin', 'c', now() + interval '1 hour', now() - interval '2 days'),
         ('just-expired', 'owner', 'admin', 'c', now() - interval '1 hour', NULL),
         ('live', 'owner', 'admin', 'c', now() + interval '1 hour', NULL)`,
    );
    const r = await compactFeedAndExpireHistory(central.running.store, DAYS());
    expect(r.sessions).toBe(2);
    const left = await pg.query(`SELECT id_hash FROM operator_sessions ORDER BY id_hash`);
    expect(left.rows.map((x) => x.id_hash)).toEqual(["just-expired", "live"]);
  });
});
