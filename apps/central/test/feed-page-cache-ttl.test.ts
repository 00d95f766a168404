import { DEFAULT_SYNC_POLICY, type PullResponse } from "@tillsync/shared";
import { TerminalClient } from "@tillsync/testkit";
import { HUB_DEFAULTS } from "../src/config";
import { FeedPageCache, type FeedPageKey } from "../src/feed/feed-page-cache";
import { useTestCentral } from "../testing";

/**
 * A cached feed page (feed/feed-page-cache.ts) is never served more than `feedPageCacheMs` after
 * its read began, also when nothing retires it: the feed's notification lost (or never sent,
 * as for a change to a row no pull-start check can see), no DATA_CHANGED round, the head
 * unchanged. That bound is what keeps a page from outliving a lost notification by more than a
 * second; the page is otherwise served again only to pulls that found the feed's head where it was.
 */
const key: FeedPageKey = { storeId: "s1", since: "0", limit: 1000, epoch: "e1", head: "42" };
const page = (n: number): PullResponse => ({
  changes: [],
  nextCursor: String(n) as PullResponse["nextCursor"],
  hasMore: false,
});

describe("a cached feed page's time to live, with no invalidation", () => {
  it("is served until feedPageCacheMs after its read began, and read again from then on", async () => {
    let now = 1_000_000;
    const cache = new FeedPageCache({ ttlMs: HUB_DEFAULTS.feedPageCacheMs, now: () => now });
    let reads = 0;
    // The page's age counts from when its read began, whatever happens meanwhile.
    const read = () => Promise.resolve(page(++reads));
    expect(await cache.page(DEFAULT_SYNC_POLICY, key, read)).toEqual(page(1));
    now += 400;
    expect(await cache.page(DEFAULT_SYNC_POLICY, key, read)).toEqual(page(1));
    now += HUB_DEFAULTS.feedPageCacheMs - 400 - 1; // 1 ms before the bound
    expect(await cache.page(DEFAULT_SYNC_POLICY, key, read)).toEqual(page(1));
    now += 1; // exactly feedPageCacheMs after the read began: no longer served
    expect(await cache.page(DEFAULT_SYNC_POLICY, key, read)).toEqual(page(2));
    expect(reads).toBe(2);
    // The new read starts its own second: served within it, read again after it.
    now += HUB_DEFAULTS.feedPageCacheMs - 1;
    expect(await cache.page(DEFAULT_SYNC_POLICY, key, read)).toEqual(page(2));
    now += 1;
    expect(await cache.page(DEFAULT_SYNC_POLICY, key, read)).toEqual(page(3));
  });

  it("is 1 s by default", () => {
    expect(HUB_DEFAULTS.feedPageCacheMs).toBe(1_000);
  });
});

describe("a central deaf to the feed's notifications", () => {
  const { central, pg } = useTestCentral("pull_page_ttl");
  afterEach(() => jest.restoreAllMocks());

  it("reads a page again once feedPageCacheMs has passed since its read, although nothing retired it", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    await pg.query(
      `INSERT INTO products (id, sku, name, price_cents) VALUES (gen_random_uuid(), 'TTL-' || gen_random_uuid(), 'ttl', 1)`,
    );
    await central.running.store.feed.sequence();
    // Nothing retires a page here: no notification is heard, no round announced.
    jest.spyOn(central.running.hub.feedPages, "invalidate").mockImplementation(() => undefined);
    const reads = jest.spyOn(central.running.store.feed, "readPage");
    const pull = async () => {
      const r = await till.raw("GET", "/api/sync/pull?since=0");
      expect(r.status).toBe(200);
      return r.body as { nextCursor: string };
    };
    const start = Date.now();
    const first = await pull();
    const second = await pull();
    expect(second).toEqual(first);
    // Reads made within the second, as long as this pull is (a loaded machine may take longer).
    const servedFromCache = Date.now() - start < HUB_DEFAULTS.feedPageCacheMs;
    if (servedFromCache) expect(reads).toHaveBeenCalledTimes(1);
    const readsBefore = reads.mock.calls.length;
    // The clock a second on, as the cache reads it (Date.now), with the feed unchanged.
    const real = Date.now.bind(Date);
    jest.spyOn(Date, "now").mockImplementation(() => real() + HUB_DEFAULTS.feedPageCacheMs);
    expect(await pull()).toEqual(first);
    expect(reads).toHaveBeenCalledTimes(readsBefore + 1);
  });
});
