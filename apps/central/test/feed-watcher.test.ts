import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { startPgRelay, TEST_REDIS_URL, testRedisPrefix, waitFor, type PgRelay } from "@tillsync/testkit";
import { FeedWatcher } from "../src/hub/feed-watcher";
import { FeedListener } from "../src/store/feed-listener";
import { useTestCentral } from "../testing";

const { central, pg } = useTestCentral("watcher");

/**
 * The catch-up read (G9): a price change committed while the watcher's LISTEN connection is down
 * is heard of nowhere, and must still be announced once the connection is back.
 */
describe("feed watcher", () => {
  let relay: PgRelay;
  const prefix = testRedisPrefix("watcher");
  const redis = new Redis(TEST_REDIS_URL, { keyPrefix: `${prefix}:` });

  beforeAll(async () => {
    relay = await startPgRelay();
  });
  afterAll(async () => {
    await relay.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length + 1)));
    redis.disconnect();
  });

  it("announces a change committed while its LISTEN connection was down, once it is back", async () => {
    const announced: Array<Set<string | null>> = [];
    let lost = 0;
    const log = central.running.logger.child({ test: "watcher" });
    const store = central.running.store;
    const watcher = new FeedWatcher({
      // The watcher's own LISTEN goes through the relay; its reads use central's pool directly.
      store: {
        feed: store.feed,
        feedListener: (opts) =>
          new FeedListener({
            ...opts,
            databaseUrl: relay.via(central.databaseUrl),
            onLost: (err) => {
              lost++;
              opts.onLost(err);
            },
          }),
      },
      redis,
      log,
      debounceMs: 10,
      listen: { reconnectMs: 20, reconnectMaxMs: 100, pingMs: 60_000, pingTimeoutMs: 5_000 },
      onChanged: async (stores) => void announced.push(stores),
    });
    try {
      await watcher.start();
      relay.refuse = true;
      relay.cut();
      await waitFor(() => lost === 1, { what: "the LISTEN connection lost" });
      const id = randomUUID();
      await pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'while down', 250)`, [
        id,
        `DOWN-${id}`,
      ]);
      const attempts = relay.attempts;
      await waitFor(() => relay.attempts >= attempts + 2, { what: "reconnects refused meanwhile" });
      expect(announced).toEqual([]); // nobody heard the commit

      relay.refuse = false;
      await waitFor(() => announced.length > 0, { what: "the catch-up round announced the change" });
      expect(announced[0]).toEqual(new Set([null])); // the catalogue: every store
    } finally {
      await watcher.close();
    }
  });
});
