import { Client } from "pg";
import { createTestDatabase, startPgRelay, waitFor, type PgRelay } from "@tillsync/testkit";
import { FeedListener } from "../src/store/feed-listener";

/**
 * The feed's LISTEN connection outlives PostgreSQL outages (DATA_CHANGED depends on it, G9):
 * a reconnect that fails is tried again, however long the database stays away, and a
 * connection that died without a word is found by its ping.
 */
describe("feed listener", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let relay: PgRelay;

  beforeAll(async () => {
    database = await createTestDatabase("listen");
    relay = await startPgRelay();
  });

  afterAll(async () => {
    await relay.close();
    await database?.drop();
  });

  beforeEach(() => {
    relay.refuse = false;
    relay.blackhole = false;
  });

  const notify = async () => {
    const c = new Client({ connectionString: database.url });
    await c.connect();
    await c.query(`SELECT pg_notify('tillsync_feed', 'products')`);
    await c.end();
  };

  function listen(extra: Partial<ConstructorParameters<typeof FeedListener>[0]> = {}) {
    const seen = { notices: 0, lost: 0, restored: 0 };
    const listener = new FeedListener({
      databaseUrl: relay.via(database.url),
      reconnectMs: 20,
      onNotify: () => void seen.notices++,
      onLost: () => void seen.lost++,
      onRestored: () => void seen.restored++,
      ...extra,
    });
    return { listener, seen };
  }

  it("reconnects after the connection is lost, retrying while PostgreSQL refuses, and hears notifications again", async () => {
    const { listener, seen } = listen();
    try {
      await listener.start();
      expect(seen.notices).toBe(1); // once connected: whatever committed meanwhile is worth a look
      await notify();
      await waitFor(() => seen.notices === 2, { what: "a notification" });

      relay.refuse = true;
      relay.cut();
      await waitFor(() => seen.lost === 1, { what: "the lost connection noticed" });
      const before = relay.attempts;
      await waitFor(() => relay.attempts >= before + 3, { what: "reconnects retried while PostgreSQL refuses" });
      expect(seen.notices).toBe(2);

      relay.refuse = false;
      await waitFor(() => seen.notices === 3, { what: "reconnected" });
      expect(seen.restored).toBe(1);
      await notify();
      await waitFor(() => seen.notices === 4, { what: "a notification after the outage" });
    } finally {
      await listener.close();
    }
  });

  it("backs off between reconnect attempts, doubling up to the cap", async () => {
    const { listener, seen } = listen({ reconnectMs: 40, reconnectMaxMs: 160 });
    try {
      await listener.start();
      relay.refuse = true;
      const before = relay.attempts;
      relay.cut();
      await waitFor(() => relay.attempts - before >= 6, { what: "six reconnect attempts" });
      expect(seen.lost).toBe(1);
      // Stamped by the relay as it accepts each attempt: a busy test process polling late
      // cannot bunch them up (each attempt is only scheduled after the last one failed).
      const times = relay.attemptTimes.slice(before, before + 6);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // 80, 160, 160, 160 ms after the first two: never faster than the backoff allows.
      expect(gaps.slice(1).every((g) => g >= 150)).toBe(true);
    } finally {
      await listener.close();
    }
  });

  it("replaces a connection that went silent (no reset, no error) when its ping goes unanswered", async () => {
    const { listener, seen } = listen({ pingMs: 50, pingTimeoutMs: 200 });
    try {
      await listener.start();
      relay.blackhole = true;
      await waitFor(() => seen.lost === 1, { what: "the silent connection noticed by its ping" });
      relay.blackhole = false;
      relay.cut(); // the blackholed sockets stay dead; new connections flow again
      await waitFor(() => seen.restored === 1, { what: "listening again" });
      const heard = seen.notices;
      await notify();
      await waitFor(() => seen.notices === heard + 1, { what: "a notification on the new connection" });
    } finally {
      await listener.close();
    }
  });
});
