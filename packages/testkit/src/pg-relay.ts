import net from "node:net";
import { TEST_PG_URL } from "./test-database";

/**
 * A TCP relay to the shared PostgreSQL whose network a test controls: it counts connection
 * attempts, `refuse` closes new connections at once, `blackhole` keeps connections open but
 * forwards nothing either way (a peer gone without a word), `cut()` resets open connections.
 */
export interface PgRelay {
  port: number;
  /** `url` with the relay's host and port. */
  via(url: string): string;
  attempts: number;
  /** When each attempt arrived (Date.now()), taken as the relay accepts it. */
  attemptTimes: number[];
  refuse: boolean;
  blackhole: boolean;
  cut(): void;
  close(): Promise<void>;
}

export async function startPgRelay(): Promise<PgRelay> {
  const pg = new URL(TEST_PG_URL);
  const sockets = new Set<net.Socket>();
  const relay: PgRelay = {
    port: 0,
    via(url) {
      const u = new URL(url);
      u.host = `127.0.0.1:${relay.port}`;
      return u.toString();
    },
    attempts: 0,
    attemptTimes: [],
    refuse: false,
    blackhole: false,
    cut() {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = net.createServer((client) => {
    relay.attempts++;
    relay.attemptTimes.push(Date.now());
    if (relay.refuse) return void client.destroy();
    const upstream = net.connect(Number(pg.port || 5432), pg.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on("data", (chunk: Buffer) => {
        if (!relay.blackhole) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  relay.port = (server.address() as net.AddressInfo).port;
  const close = relay.close;
  relay.close = async () => {
    relay.cut();
    await close();
  };
  return relay;
}
