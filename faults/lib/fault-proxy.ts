import net from "node:net";
import { SocketIoSniffer } from "./socket-io-sniffer";

/**
 * How the link between one till and central behaves:
 * - pass: bytes flow;
 * - drop: open connections are reset (RST) and new ones are reset on accept;
 * - blackhole: connections stay open and accept bytes, but nothing is forwarded either way and
 *   nothing is ever closed (a pulled cable, a dead NAT entry: no RST, only silence);
 * - slow: every chunk is delayed `delayMs` each way (a saturated uplink).
 */
export type LinkMode = { kind: "pass" } | { kind: "drop" } | { kind: "blackhole" } | { kind: "slow"; delayMs: number };

/**
 * What the proxy saw going to central: an HTTP request's method and path (`GET /api/sync/pull`),
 * or a socket.io event a client sent over its WebSocket (`SOCKET sync:pull`).
 */
export type RequestListener = (requestLine: string) => void;

/** The lines of a pull, over HTTP or over the till's socket. */
export const PULL_LINES = ["GET /api/sync/pull", "SOCKET sync:pull"] as const;

/** Whether `line` is a pull's (either way). */
export const isPull = (line: string): boolean => PULL_LINES.some((p) => line === p);

/**
 * A TCP proxy between one agent and central, in the spirit of the testkit's ControllableProxy
 * but with the faults a partition test needs. The target port can change (a central restarted
 * on another port); the agent keeps its URL.
 */
export class FaultProxy {
  private server: net.Server;
  private pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private listeners = new Set<RequestListener>();
  private mode: LinkMode = { kind: "pass" };
  private lanes = new WeakMap<net.Socket, Lane>();
  private laneSet = new Set<Lane>();
  port = 0;
  /** Request lines seen (`POST /api/sync/push`, `SOCKET sync:pull`...): the scenarios' sync counters. */
  readonly seen = new Map<string, number>();
  /** TCP connections accepted so far (a client that reuses its connections opens few). */
  connections = 0;

  constructor(public targetPort: number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get linkMode(): LinkMode {
    return this.mode;
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, "127.0.0.1", () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(this.port);
      }),
    );
  }

  /** Calls `fn` with the line of every request and socket event that reaches the proxy; returns an unsubscribe. */
  onRequest(fn: RequestListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves at the next request whose first line contains `needle` (e.g. `/api/sync/push`). */
  nextRequest(needle: string): Promise<string> {
    return new Promise((resolve) => {
      const off = this.onRequest((line) => {
        if (!line.includes(needle)) return;
        off();
        resolve(line);
      });
    });
  }

  set(mode: LinkMode): void {
    this.mode = mode;
    if (mode.kind === "drop") for (const p of this.pairs) this.reset(p);
    else this.flushAll();
  }

  close(): Promise<void> {
    for (const p of this.pairs) this.reset(p);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private reset(p: { client: net.Socket; upstream: net.Socket }): void {
    p.client.resetAndDestroy();
    p.upstream.destroy();
    this.pairs.delete(p);
  }

  private accept(client: net.Socket): void {
    this.connections++;
    client.on("error", () => undefined);
    if (this.mode.kind === "drop") {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, "127.0.0.1");
    upstream.on("error", () => undefined);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const forget = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", forget);
    upstream.on("close", forget);
    // After a WebSocket upgrade the client's bytes are frames, not requests.
    let sniffer: SocketIoSniffer | undefined;
    client.on("data", (chunk: Buffer) => {
      if (sniffer) sniffer.feed(chunk);
      else if (this.observe(chunk)) sniffer = new SocketIoSniffer((name) => this.saw(`SOCKET ${name}`));
      this.forward(chunk, upstream);
    });
    upstream.on("data", (chunk: Buffer) => this.forward(chunk, client));
  }

  private forward(chunk: Buffer, to: net.Socket): void {
    let lane = this.lanes.get(to);
    if (!lane) {
      lane = new Lane(to, () => this.mode);
      this.lanes.set(to, lane);
      const created = lane;
      this.laneSet.add(created);
      to.once("close", () => this.laneSet.delete(created));
    }
    lane.push(chunk);
  }

  /** After a blackhole, what was held is delivered in order (TCP retransmits once the path is back). */
  private flushAll(): void {
    for (const lane of this.laneSet) lane.pump();
  }

  /** Reports a request starting this chunk; true when it asks for a WebSocket upgrade. */
  private observe(chunk: Buffer): boolean {
    const head = chunk.subarray(0, 2048).toString("latin1");
    const m = /^(GET|POST|PUT|DELETE|PATCH) (\S+) HTTP/.exec(head);
    if (!m) return false;
    this.saw(`${m[1]} ${m[2]!.split("?")[0]}`);
    // A client sends nothing after its upgrade request until the 101 (RFC 6455 §4.1), so the
    // frames start with its next chunk.
    return /\r\nupgrade: *websocket/i.test(head);
  }

  private saw(line: string): void {
    this.seen.set(line, (this.seen.get(line) ?? 0) + 1);
    for (const fn of this.listeners) fn(line);
  }
}

/**
 * One direction of one connection: chunks leave in the order they came, each no earlier than
 * its due time (slow), none while the link is a blackhole, so a mode change never reorders or
 * loses bytes of a TCP stream that survives it.
 */
class Lane {
  private queue: Array<{ chunk: Buffer; due: number }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly to: net.Socket,
    private readonly mode: () => LinkMode,
  ) {}

  push(chunk: Buffer): void {
    const m = this.mode();
    this.queue.push({ chunk, due: Date.now() + (m.kind === "slow" ? m.delayMs : 0) });
    this.pump();
  }

  pump(): void {
    const m = this.mode();
    if (m.kind === "blackhole" || m.kind === "drop" || this.to.destroyed) return;
    while (this.queue.length > 0 && this.queue[0]!.due <= Date.now()) this.to.write(this.queue.shift()!.chunk);
    if (this.queue.length > 0 && !this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.pump();
        },
        Math.max(1, this.queue[0]!.due - Date.now()),
      );
    }
  }
}
