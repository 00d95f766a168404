import net from "node:net";
import { Client } from "pg";
import { createTestDatabase, TEST_PG_URL, waitFor } from "@tillsync/testkit";
import { FeedListener } from "../src/store/feed-listener";

/**
 * The feed's LISTEN connection outlives PostgreSQL outages (DATA_CHANGED depends on it, G9):
 * a reconnect that fails is tried again, however long the database stays away.
 */
describe("feed listener", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  let down = false;
  let attempts = 0;

  beforeAll(async () => {
    database = await createTestDatabase("listen");
    const pg = new URL(TEST_PG_URL);
    // A TCP relay to PostgreSQL that counts connection attempts and, while `down`, refuses them.
    server = net.createServer((client) => {
      attempts++;
      if (down) return void client.destroy();
      const upstream = net.connect(Number(pg.port || 5432), pg.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await database?.drop();
  });

  it("reconnects after the connection is lost, retrying while PostgreSQL refuses, and hears notifications again", async () => {
    const url = new URL(database.url);
    url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    let notices = 0;
    let lost = 0;
    const listener = new FeedListener({
      databaseUrl: url.toString(),
      reconnectMs: 20,
      onNotify: () => void notices++,
      onLost: () => void lost++,
    });
    const notify = async () => {
      const c = new Client({ connectionString: database.url });
      await c.connect();
      await c.query(`SELECT pg_notify('tillsync_feed', 'products')`);
      await c.end();
    };
    try {
      await listener.start();
      expect(notices).toBe(1); // once connected: whatever committed meanwhile is worth a look
      await notify();
      await waitFor(() => notices === 2, { what: "a notification" });

      down = true;
      for (const s of sockets) s.destroy();
      await waitFor(() => lost === 1, { what: "the lost connection noticed" });
      const before = attempts;
      await waitFor(() => attempts >= before + 3, { what: "reconnects retried while PostgreSQL refuses" });
      expect(notices).toBe(2);

      down = false;
      await waitFor(() => notices === 3, { what: "reconnected" });
      await notify();
      await waitFor(() => notices === 4, { what: "a notification after the outage" });
    } finally {
      await listener.close();
    }
  });
});
