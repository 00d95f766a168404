import net from "node:net";

/**
 * A TCP proxy in front of central whose network a test controls: `cut()` takes central
 * down for this terminal, `hold()` lets requests in but forwards nothing until `release()`
 * (a push provably in flight and blocked), `responseDelayMs` makes central answer late, and
 * `swallowResponses` lets requests reach central but drops its answers (committed, response lost).
 */
export class ControllableProxy {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  private timers = new Set<NodeJS.Timeout>();
  private held: Array<() => void> = [];
  private open = true;
  private holding = false;
  /** Every chunk central sends back is delivered this much later. */
  responseDelayMs = 0;
  /** Requests still reach central, but its answers never come back. */
  swallowResponses = false;
  /** Request chunks that arrived while holding and wait for release(). */
  get heldChunks(): number {
    return this.held.length;
  }
  /** Answers from central received and still being delayed. */
  get delayedChunks(): number {
    return this.timers.size;
  }
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
      client.on("data", (chunk: Buffer) => {
        if (this.holding) this.held.push(() => upstream.write(chunk));
        else upstream.write(chunk);
      });
      client.on("end", () => upstream.end());
      upstream.on("data", (chunk: Buffer) => {
        if (this.swallowResponses) return;
        if (this.responseDelayMs <= 0) return void client.write(chunk);
        const t = setTimeout(() => {
          this.timers.delete(t);
          client.write(chunk);
        }, this.responseDelayMs);
        this.timers.add(t);
      });
      upstream.on("end", () => {
        if (this.swallowResponses) return;
        if (this.responseDelayMs <= 0) return void client.end();
        const t = setTimeout(() => {
          this.timers.delete(t);
          client.end();
        }, this.responseDelayMs);
        this.timers.add(t);
      });
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

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const send of held) send();
  }

  /** Forwards what is held so far but keeps holding: lets requests through one at a time. */
  flushHeld(): void {
    const held = this.held;
    this.held = [];
    for (const send of held) send();
  }

  /** Central unreachable: open connections reset, new ones refused. */
  cut(): void {
    this.open = false;
    this.held = [];
    for (const s of this.sockets) s.destroy();
  }

  reconnect(): void {
    this.open = true;
  }

  close(): Promise<void> {
    this.cut();
    for (const t of this.timers) clearTimeout(t);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
