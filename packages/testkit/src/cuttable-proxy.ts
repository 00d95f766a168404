import net from "node:net";

/**
 * A TCP proxy in front of central for one terminal, so a test or the demo can cut that
 * terminal's network, lose central's answers, and reconnect, without touching the others.
 */
export class CuttableProxy {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  private open = true;
  /** Requests still reach central, but its answers are dropped (committed, response lost). */
  swallowResponses = false;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      if (!this.open) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.targetPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream);
      upstream.on("data", (chunk: Buffer) => {
        if (!this.swallowResponses) client.write(chunk);
      });
      upstream.on("end", () => client.end());
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, "127.0.0.1", () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(this.port);
      }),
    );
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  reconnect(): void {
    this.open = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
