import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";
import { TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

interface Pulled {
  changes: Array<{ entityType: string; entityId: string }>;
  nextCursor: string;
  epoch: string;
}

/**
 * A pull reads what may hold or reset it in its first statement (store/pull-start.ts), never
 * from a cache: whatever committed before a pull, even written straight into PostgreSQL by
 * another instance or by hand (no event central could have heard), is seen by that very pull.
 */
describe("each pull reads its hold, the feed's identity and the sequencer's work afresh", () => {
  const { central, pg } = useTestCentral("pull_start");
  let till: TerminalClient;

  beforeAll(async () => {
    const t = await central.provisionTerminal();
    till = new TerminalClient(central.url, t.terminalId, t.key);
  });

  const pull = (query = "since=0") => till.raw("GET", `/api/sync/pull?${query}`);
  const errorOf = (r: { body: Record<string, unknown> }) => (r.body.error as { code: string; details: object }) ?? {};

  it("sees a pause and an emergency stop set between two pulls in the second, and their lifting in the third", async () => {
    expect((await pull()).status).toBe(200);
    await pg.query(`UPDATE terminals SET paused = true, paused_reason = 'by hand', paused_at = now() WHERE id = $1`, [
      till.terminalId,
    ]);
    const paused = await pull();
    expect(paused.status).toBe(423);
    expect(errorOf(paused)).toMatchObject({
      code: "SYNC_STOPPED",
      details: { kind: "TERMINAL_PAUSED", reason: "by hand" },
    });
    await pg.query(`UPDATE terminals SET paused = false WHERE id = $1`, [till.terminalId]);
    expect((await pull()).status).toBe(200);

    await pg.query(
      `INSERT INTO emergency_stop (id, stopped, since, reason, stopped_by) VALUES (1, true, now(), 'by hand', 'psql')
       ON CONFLICT (id) DO UPDATE SET stopped = true, since = now(), reason = 'by hand', stopped_by = 'psql'`,
    );
    const stopped = await pull();
    expect(stopped.status).toBe(423);
    expect(errorOf(stopped)).toMatchObject({
      code: "SYNC_STOPPED",
      details: { kind: "EMERGENCY_STOP", reason: "by hand" },
    });
    await pg.query(`UPDATE emergency_stop SET stopped = false, resumed_at = now(), resumed_by = 'psql' WHERE id = 1`);
    expect((await pull()).status).toBe(200);
  });

  it("answers 409 to the pull right after the feed's epoch changed, and the new epoch after a fingerprint change", async () => {
    const { epoch } = (await pull()).body as unknown as Pulled;
    await pg.query(`UPDATE feed_identity SET epoch = gen_random_uuid() WHERE id = 1`);
    const reset = await pull(`since=0&epoch=${epoch}`);
    expect(reset.status).toBe(409);
    expect(errorOf(reset)).toMatchObject({ code: "FEED_RESET", details: { reason: "EPOCH_CHANGED" } });

    const { epoch: now } = (await pull()).body as unknown as Pulled;
    expect(now).not.toBe(epoch);
    await pg.query(`UPDATE feed_identity SET fingerprint = 'copied elsewhere' WHERE id = 1`);
    const rotated = (await pull()).body as unknown as Pulled;
    expect(rotated.epoch).not.toBe(now);
    expect((await pull(`since=0&epoch=${now}`)).status).toBe(409);
  });

  it("numbers and serves a change committed by hand just before it, whoever else sequences", async () => {
    const first = (await pull()).body as unknown as Pulled;
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      await pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'by hand', 1)`, [
        id,
        `H-${id}`,
      ]);
      const page = (await pull(`since=${first.nextCursor}&epoch=${first.epoch}`)).body as unknown as Pulled;
      expect(page.changes.map((c) => c.entityId)).toContain(id);
    }
  });
});

/**
 * What a pull does not read afresh is its page (feed/feed-page-cache.ts): after a price change a
 * thousand tills pull the same page from the same cursor, and it is read once. It is never
 * served once the feed has grown: a change numbered where this instance's cache could not see it
 * (another instance's sequencer, here a call on the store, with no notification heard) is in the
 * very next pull, although the page's time to live (a minute here) is far from over.
 */
describe("a page asked for by many terminals is read once while the feed has not moved", () => {
  const { central, pg } = useTestCentral("pull_page_cache", {}, { hub: { feedPageCacheMs: 60_000 } });
  let tills: TerminalClient[];

  beforeAll(async () => {
    const first = await central.provisionTerminal();
    tills = [new TerminalClient(central.url, first.terminalId, first.key)];
    for (let i = 0; i < 2; i++) {
      const t = await central.provisionTerminal({ storeId: first.storeId });
      tills.push(new TerminalClient(central.url, t.terminalId, t.key));
    }
  });
  afterEach(() => jest.restoreAllMocks());

  const pullOf = async (till: TerminalClient, since: string): Promise<Pulled> => {
    const r = await till.raw("GET", `/api/sync/pull?since=${since}`);
    expect(r.status).toBe(200);
    return r.body as unknown as Pulled;
  };
  const product = async (): Promise<string> => {
    const id = randomUUID();
    await pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'cached', 1)`, [id, `C-${id}`]);
    return id;
  };

  /** A product, once its DATA_CHANGED round reached a till: what a price change's pulls follow. */
  const announced = async (): Promise<string> => {
    const s = io(central.url, { auth: { token: tills[0]!.key }, transports: ["websocket"], forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once("connect", resolve);
        s.once("connect_error", reject);
      });
      const trigger = new Promise<void>((resolve) => s.once("sync:trigger", () => resolve()));
      const id = await product();
      await trigger;
      return id;
    } finally {
      s.disconnect();
    }
  };

  it("reads the page once for terminals pulling it together and one after another, each answered in full", async () => {
    const id = await announced();
    const reads = jest.spyOn(central.running.store.feed, "readPage");
    const together = await Promise.all(tills.map((t) => pullOf(t, "0")));
    const after = await Promise.all(tills.map((t) => pullOf(t, "0")));
    const head = together[0]!.nextCursor;
    for (const page of [...together, ...after]) {
      expect(page.changes.map((c) => c.entityId)).toContain(id);
      expect(page.nextCursor).toBe(head);
    }
    expect(reads).toHaveBeenCalledTimes(1);
    // Another cursor is another page.
    await pullOf(tills[0]!, head);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("serves a change numbered elsewhere (another instance), not the page read before it", async () => {
    await product();
    const { nextCursor: head } = await pullOf(tills[0]!, "0");
    expect((await pullOf(tills[1]!, head)).changes).toEqual([]);
    const id = await product();
    // As another instance would number it, and with this instance deaf to the feed's notifications:
    // the head each pull reads is what retires the page.
    jest.spyOn(central.running.hub.feedPages, "invalidate").mockImplementation(() => undefined);
    await central.running.store.feed.sequence();
    expect((await pullOf(tills[1]!, head)).changes.map((c) => c.entityId)).toEqual([id]);
    expect((await pullOf(tills[2]!, head)).changes.map((c) => c.entityId)).toEqual([id]);
  });
});
