import { randomUUID } from "node:crypto";
import { TerminalClient } from "@tillsync/testkit";
import { waitFor } from "@tillsync/testkit";
import { FeedHighWater } from "../src/feed/feed-high-water";
import { compactFeedAndExpireHistory, retentionDaysOf } from "../src/hub/feed-compaction-and-retention";
import { useTestCentral } from "../testing";

interface Pulled {
  changes: Array<{ entityType: string; entityId: string; operation: string }>;
  nextCursor: string;
  hasMore: boolean;
  epoch: string;
}
interface ErrorAnswer {
  error: { code: string; message: string; details: { epoch: string; reason: string } };
}

const { central, pg } = useTestCentral("feed_epoch");

/**
 * The feed's identity (issue 12 §4, §6): every pull names the epoch; a cursor from another
 * epoch or beyond the head is a 409 FEED_RESET, one older than the compacted feed a 410.
 */
describe("feed epoch and expired cursors", () => {
  let till: TerminalClient;
  const pull = async (query: string) => till.raw("GET", `/api/sync/pull?${query}`);
  const put = (id = randomUUID()) =>
    central.admin("POST", "/api/products", { id, sku: `E-${id}`, name: "e", priceCents: 1 }).then(() => id);

  beforeAll(async () => {
    const t = await central.provisionTerminal();
    till = new TerminalClient(central.url, t.terminalId, t.key);
  });

  it("answers every pull with the epoch, and the same epoch is accepted", async () => {
    await put();
    const first = (await pull("since=0")).body as unknown as Pulled;
    expect(first.epoch).toMatch(/^[0-9a-f-]{36}$/);
    const again = await pull(`since=${first.nextCursor}&epoch=${first.epoch}`);
    expect(again.status).toBe(200);
    expect((again.body as unknown as Pulled).epoch).toBe(first.epoch);
  });

  it("refuses an epoch that is not a UUID, and an own-orders cursor central never gave, with a 400 naming it", async () => {
    const bad = await pull("since=0&epoch=yesterday");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("epoch");
    const cursor = await till.raw("GET", "/api/sync/own-orders?since=2026-01-01T00:00:00Z&cursor=bm9wZQ");
    expect(cursor.status).toBe(400);
    expect(JSON.stringify(cursor.body)).toContain("cursor");
  });

  it("answers 409 FEED_RESET with the current epoch to a cursor from another epoch", async () => {
    const { epoch } = (await pull("since=0")).body as unknown as Pulled;
    const other = randomUUID();
    const r = await pull(`since=0&epoch=${other}`);
    expect(r.status).toBe(409);
    const e = r.body as unknown as ErrorAnswer;
    expect(e.error).toMatchObject({ code: "FEED_RESET", details: { epoch, reason: "EPOCH_CHANGED" } });
    expect(e.error.message).toContain(other);
  });

  it("answers 409 to a cursor beyond the feed's head, without changing the epoch for anyone else", async () => {
    const { epoch, nextCursor } = (await pull("since=0")).body as unknown as Pulled;
    const ahead = String(BigInt(nextCursor) + 1000n);
    const r = await pull(`since=${ahead}&epoch=${epoch}`);
    expect(r.status).toBe(409);
    expect((r.body as unknown as ErrorAnswer).error.details.reason).toBe("AHEAD_OF_FEED");
    expect(((await pull("since=0")).body as unknown as Pulled).epoch).toBe(epoch);
    // At the head exactly, nothing is wrong: an empty page.
    expect((await pull(`since=${nextCursor}&epoch=${epoch}`)).status).toBe(200);
  });

  it("refuses an acknowledge beyond the head or of another epoch with the pull's 409, and records nothing", async () => {
    await put();
    const { epoch, nextCursor } = (await pull("since=0")).body as unknown as Pulled;
    const acked = async () =>
      String(
        (await pg.query(`SELECT acked_cursor FROM terminals WHERE id = $1`, [till.terminalId])).rows[0].acked_cursor,
      );
    const ack = (body: Record<string, unknown>) =>
      till.raw("POST", "/api/sync/acknowledge", { terminalId: till.terminalId, ...body });
    const before = await acked();
    const ahead = await ack({ cursor: String(BigInt(nextCursor) + 1000n), epoch });
    expect(ahead.status).toBe(409);
    expect((ahead.body as unknown as ErrorAnswer).error).toMatchObject({
      code: "FEED_RESET",
      details: { epoch, reason: "AHEAD_OF_FEED" },
    });
    // Without an epoch (an older agent) the head still bounds it.
    expect((await ack({ cursor: String(BigInt(nextCursor) + 1n) })).status).toBe(409);
    const other = await ack({ cursor: nextCursor, epoch: randomUUID() });
    expect(other.status).toBe(409);
    expect((other.body as unknown as ErrorAnswer).error.details).toEqual({ epoch, reason: "EPOCH_CHANGED" });
    expect(await acked()).toBe(before);
    // The head itself, of the feed's epoch, is what a caught-up till acknowledges.
    expect((await ack({ cursor: nextCursor, epoch })).status).toBe(200);
    expect(await acked()).toBe(nextCursor);
  });

  it("gives the feed a new epoch once when the database no longer lives where it did (restored or copied)", async () => {
    const { epoch } = (await pull("since=0")).body as unknown as Pulled;
    await pg.query(`UPDATE feed_identity SET fingerprint = 'a database restored elsewhere'`);
    const answers = await Promise.all([1, 2, 3].map(() => pull("since=0")));
    const epochs = new Set(answers.map((a) => (a.body as unknown as Pulled).epoch));
    expect(epochs.size).toBe(1);
    const [next] = [...epochs];
    expect(next).not.toBe(epoch);
    const row = (await pg.query(`SELECT reason, fingerprint = tillsync_feed_fingerprint() AS same FROM feed_identity`))
      .rows[0];
    expect(row).toEqual({ reason: expect.stringContaining("restored"), same: true });
    expect((await pull(`since=0&epoch=${epoch}`)).status).toBe(409);
  });

  it("gives the feed a new epoch when its head falls below a cursor it gave out (restored in place), checked before serving", async () => {
    await put();
    const served = (await pull("since=0")).body as unknown as Pulled;
    const mark = `feed:high-water:${served.epoch}`;
    await waitFor(async () => (await central.running.redis.get(mark)) === served.nextCursor, {
      what: "the pull's cursor remembered in Redis",
    });
    const highWater = new FeedHighWater({
      redis: central.running.redis,
      identity: central.running.store.feedIdentity,
      feed: central.running.store.feed,
      timeoutMs: 500,
    });
    expect(await highWater.check()).toBeUndefined(); // the head is where it was: nothing to do
    // Restored in place from an older snapshot: same database, same tables, a shorter feed.
    await pg.query(`DELETE FROM change_feed WHERE position >= $1`, [served.nextCursor]);
    const restarted = await central.startInstance();
    try {
      const r = await fetch(`http://127.0.0.1:${restarted.port}/api/sync/pull?since=0&epoch=${served.epoch}`, {
        headers: { authorization: `Bearer ${till.key}` },
      });
      expect(r.status).toBe(409);
      const reason = (await pg.query(`SELECT reason FROM feed_identity`)).rows[0].reason as string;
      expect(reason).toContain(`behind cursor ${served.nextCursor}`);
    } finally {
      await restarted.stop();
    }
  });

  it("expires cursors below a deletion compacted away, for a terminal offline past the retention only", async () => {
    const away = await central.provisionTerminal({ storeId: (await central.provisionTerminal()).storeId });
    const offline = new TerminalClient(central.url, away.terminalId, away.key);
    const gone = await put();
    const before = (await offline.raw("GET", "/api/sync/pull?since=0")).body as unknown as Pulled;
    await offline.raw("POST", "/api/sync/acknowledge", { terminalId: away.terminalId, cursor: before.nextCursor });
    await pg.query(`DELETE FROM products WHERE id = $1`, [gone]);
    await put(); // the deletion is not the head
    const days = retentionDaysOf(central.config);
    // Recent: the deletion stays, whoever is behind it.
    expect((await compactFeedAndExpireHistory(central.running.store, days)).expiredDeletions).toBe(0);
    // Forty days later: the deletion and the offline terminal are both older than the retention.
    await pg.query(`UPDATE change_feed SET created_at = now() - interval '40 days' WHERE entity_id = $1`, [gone]);
    await pg.query(`UPDATE terminals SET last_seen_at = now() - interval '40 days' WHERE id = $1`, [away.terminalId]);
    // Every other terminal is up to date (they acknowledge the head).
    const head = ((await pull("since=0")).body as unknown as Pulled).nextCursor;
    await pg.query(`UPDATE terminals SET acked_cursor = $1 WHERE id <> $2`, [head, away.terminalId]);
    expect((await compactFeedAndExpireHistory(central.running.store, days)).expiredDeletions).toBe(1);

    const back = await offline.raw("GET", `/api/sync/pull?since=${before.nextCursor}&epoch=${before.epoch}`);
    expect(back.status).toBe(410);
    expect((back.body as unknown as ErrorAnswer).error).toMatchObject({
      code: "CURSOR_EXPIRED",
      details: { reason: "COMPACTED", epoch: before.epoch },
    });
    // From the start of the feed it is served again, and the deleted product is simply absent.
    const fresh = (await offline.raw("GET", "/api/sync/pull?since=0")).body as unknown as Pulled;
    expect(fresh.changes.some((c) => c.entityId === gone)).toBe(false);
    // A terminal that had seen the deletion is not expired.
    expect((await pull(`since=${head}`)).status).toBe(200);
  });

  it("prunes applied_changes and decided conflicts older than their retention, and keeps pending conflicts", async () => {
    const t = till.terminalId;
    await pg.query(
      `INSERT INTO applied_changes (change_id, terminal_id, entity_type, entity_id, applied_at) VALUES
         ($1, $3, 'sale_orders', $1, now() - interval '91 days'), ($2, $3, 'sale_orders', $2, now())`,
      [randomUUID(), randomUUID(), t],
    );
    const conflict = (status: string, age: string) =>
      pg.query(
        `INSERT INTO conflicts (terminal_id, change_id, entity_type, entity_id, strategy, status, terminal_data, created_at, resolved_at)
         VALUES ($1, gen_random_uuid(), 'products', gen_random_uuid(), 'CENTRAL_WINS', $2, '{}', now() - $3::interval,
                 CASE WHEN $2 = 'PENDING' THEN NULL ELSE now() - $3::interval END)`,
        [t, status, age],
      );
    await conflict("RESOLVED", "200 days");
    await conflict("RESOLVED", "1 day");
    await conflict("PENDING", "400 days");
    const r = await compactFeedAndExpireHistory(central.running.store, retentionDaysOf(central.config));
    expect(r).toMatchObject({ appliedChanges: 1, conflicts: 1 });
    const left = await pg.query(`SELECT status FROM conflicts WHERE terminal_id = $1 ORDER BY status`, [t]);
    expect(left.rows.map((x) => x.status)).toEqual(["PENDING", "RESOLVED"]);
  });
});
