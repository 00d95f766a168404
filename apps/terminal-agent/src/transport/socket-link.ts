import { EventEmitter } from "node:events";
import { io, type Socket } from "socket.io-client";
import {
  DEFAULT_SYNC_POLICY,
  errorFromBody,
  fastPullAnswer,
  policyForProtocol,
  Priority,
  registerAnswerSchema,
  socketEvents,
  syncPullAnswerSchema,
  type ErrorBody,
  type PullResponse,
  type SyncPolicy,
  UPGRADE_RETRY_AFTER_S,
  type FeedCursor,
  type SocketPayload,
} from "@tillsync/shared";
import type { AgentConfig } from "../config";
import type { Agent } from "../daemon/agent";
import { SyncStateStore } from "../db/sync-state";
import { currentAgentProtocol, type AgentProtocol } from "./agent-protocol";
import { checkPullPage } from "./answer-checks";
import { SOCKET_ANSWER_TIMEOUT_MS, SocketCursor } from "./socket-cursor";

export { SOCKET_ANSWER_TIMEOUT_MS };

/**
 * sync_state key an older agent set while central's emergency stop had paused it through the
 * local pause flag; a pause it left behind is still lifted by central's resume.
 */
const HUB_PAUSED = "hub_paused";

export interface ServerEvents {
  "sync:trigger": (p: unknown) => void;
  "sync:pause": (p: unknown) => void;
  "sync:resume": (p: unknown) => void;
}
/** Answers (socket.io acknowledgements) are `unknown` until parsed: central's word is checked. */
export interface ClientEvents {
  "terminal:register": (p: SocketPayload<"terminal:register">, answer: (a: unknown) => void) => void;
  "sync:ack": (p: SocketPayload<"sync:ack">, answer?: (a: unknown) => void) => void;
  "sync:cursor": (p: SocketPayload<"sync:cursor">, answer: (a: unknown) => void) => void;
  "sync:pull": (p: SocketPayload<"sync:pull">, answer: (a: unknown) => void) => void;
}

interface LinkEvents {
  connected: [];
  disconnected: [string];
  /** central refused the key (unknown, rotated out, terminal disabled): no reconnects. */
  refused: [string];
  trigger: [SocketPayload<"sync:trigger">];
  acked: [SocketPayload<"sync:ack">];
  paused: [];
  resumed: [];
}

export interface SocketLinkOptions {
  /**
   * The agent's heartbeat sender (daemon/heartbeat.ts): a pause or resume from central is
   * reported at once through it. Without one, nothing is reported.
   */
  heartbeat?: { beatNow(): Promise<void> };
  log?: (msg: string) => void;
  /** The protocol the handshake names (default: this build's; see HttpTransportOptions.protocol). */
  protocol?: AgentProtocol;
}

/** What a refused handshake's connect_error carries (central's socket-server). */
type HandshakeError = Error & { data?: { code?: string; retryAfterSeconds?: number } };

/**
 * The agent's real-time link to central (SPEC §4): connects with its key, registers, runs a
 * sync cycle on `sync:trigger` and acks it, pauses/resumes the engine on `sync:pause` /
 * `sync:resume` (and has the heartbeat sender report that at once). The link is optional:
 * without it the engine still syncs on its interval, so a socket outage never stops sync.
 */
export class SocketLink extends EventEmitter<LinkEvents> {
  private readonly socket: Socket<ServerEvents, ClientEvents>;
  private readonly state: SyncStateStore;
  private latest: SocketPayload<"sync:trigger"> | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private upgradeRetry: NodeJS.Timeout | undefined;
  /** This connection's central said it answers `sync:pull`; reset on disconnect. */
  private pullAnswered = false;
  /** The acknowledged cursor over this socket, as its central offers it (socket-cursor.ts). */
  private readonly cursor: SocketCursor;
  /** What central's rows are checked against: the policy of the protocol the handshake names. */
  private readonly policy: SyncPolicy;
  private readonly pullPage = (since: FeedCursor, limit: number, epoch?: string) =>
    this.pullOverSocket(since, limit, epoch);
  /** Counts connections, so a late register answer of an earlier one is not believed for this one. */
  private connection = 0;
  private readonly ackCursor = (cursor: FeedCursor, epoch?: string) => this.cursor.take(cursor, epoch);

  constructor(
    private readonly agent: Agent,
    private readonly config: AgentConfig,
    private readonly opts: SocketLinkOptions = {},
  ) {
    super();
    this.state = new SyncStateStore(agent.db);
    const protocol = opts.protocol ?? currentAgentProtocol();
    this.policy = policyForProtocol(DEFAULT_SYNC_POLICY, protocol.version);
    this.socket = io(config.CENTRAL_API_URL, {
      auth: { token: config.CENTRAL_API_KEY, protocol: protocol.version, schema: protocol.schema },
      autoConnect: false,
      // WebSocket only: HTTP long-polling would need sticky sessions in front of several
      // central instances; a WebSocket stays on the instance it reached.
      transports: ["websocket"],
      reconnectionDelay: config.SOCKET_RECONNECT_DELAY_MS,
      reconnectionDelayMax: config.SOCKET_RECONNECT_DELAY_MAX_MS,
    });
    this.cursor = new SocketCursor({
      socket: this.socket,
      terminalId: config.TERMINAL_ID,
      engine: agent.engine,
      stopped: () => this.stopped,
      log: (msg) => this.log(msg),
    });
    this.socket.on("connect", () => {
      const n = ++this.connection;
      this.socket
        .timeout(SOCKET_ANSWER_TIMEOUT_MS)
        .emit(
          "terminal:register",
          { terminalId: config.TERMINAL_ID as SocketPayload<"terminal:register">["terminalId"] },
          (err, raw) => {
            // No answer (a central before it, or too late): cursors keep going over HTTP.
            if (err || n !== this.connection || !this.socket.connected) return;
            const a = registerAnswerSchema.safeParse(raw).data;
            this.pullAnswered = a?.pull === true;
            this.cursor.offered(a);
          },
        );
      this.log("socket to central connected");
      this.emit("connected");
      // Central answers again: a till waiting out its backoff or an open breaker syncs now.
      void this.agent.engine.centralReachable();
    });
    this.socket.on("disconnect", (reason) => {
      // The next connection may reach another instance, or an older one.
      this.pullAnswered = false;
      this.cursor.reset();
      // Triggers and stops arrive only over the socket: while it is down the till pulls on its
      // interval, which is worth seeing in the log.
      if (!this.stopped) this.log(`socket to central disconnected (${reason}); reconnecting`);
      this.emit("disconnected", reason);
    });
    this.socket.on("connect_error", (err: HandshakeError) => this.onConnectError(err));
    this.socket.on("sync:trigger", (raw) => this.onTrigger(raw));
    this.socket.on("sync:pause", (raw) => this.onPause(raw));
    this.socket.on("sync:resume", (raw) => this.onResume(raw));
    agent.engine.cursorOverSocket = this.ackCursor;
    agent.engine.pullOverSocket = this.pullPage;
  }

  /**
   * A page of the feed over this socket when its central answers `sync:pull` (no HTTP request,
   * Express chain and authentication per pull: after a price change, one less for each of a
   * thousand tills). Central's answer is checked as the HTTP transport checks it; its error body
   * is thrown as over HTTP. Undefined (no link, not offered, no answer in time, central's own
   * failure) sends the engine to HTTP.
   */
  private async pullOverSocket(since: FeedCursor, limit: number, epoch?: string): Promise<PullResponse | undefined> {
    if (!this.pullAnswered || !this.socket.connected || this.stopped) return undefined;
    const terminalId = this.config.TERMINAL_ID as SocketPayload<"sync:pull">["terminalId"];
    let raw: unknown;
    try {
      raw = await this.socket
        .timeout(SOCKET_ANSWER_TIMEOUT_MS)
        .emitWithAck("sync:pull", { terminalId, since, limit, ...(epoch ? { epoch } : {}) });
    } catch {
      return undefined; // no answer in time (or the socket went): HTTP
    }
    // A page as central sends it takes the fast path (same answer as zod's); the rest goes to zod.
    const fast = fastPullAnswer(raw);
    const answer = fast ? { success: true as const, data: fast } : syncPullAnswerSchema.safeParse(raw);
    if (!answer.success) {
      this.log("central's answer to sync:pull does not match the protocol; pulling over HTTP");
      return undefined;
    }
    if (answer.data.ok) {
      checkPullPage(this.policy, since, answer.data.page);
      return answer.data.page;
    }
    if (answer.data.error) throw errorFromBody({ error: answer.data.error } as ErrorBody);
    this.log(
      `central did not answer the pull over the socket (${answer.data.reason ?? "no reason"}); pulling over HTTP`,
    );
    return undefined;
  }

  /** Whether pulls now go over the socket (central's register answer said it answers them). */
  get pullOverSocketOn(): boolean {
    return this.pullAnswered && this.socket.connected;
  }

  /** Whether cursors now go over the socket (central's register answer said it takes them). */
  get cursorOverSocketOn(): boolean {
    return this.cursor.overSocket;
  }

  /** Whether a triggered cycle's cursor now goes on its `sync:ack` (central's register answer said so). */
  get cursorOnAckOn(): boolean {
    return this.cursor.onAck;
  }

  private onConnectError(err: HandshakeError): void {
    // A refused key will not become valid by retrying; a network error will heal.
    if (err.data?.code === "UNAUTHORIZED") {
      this.log(`central refused the socket: ${err.message}`);
      this.emit("refused", err.message);
    }
    if (err.data?.code !== "UPGRADE_REQUIRED") return;
    // Central does not serve this protocol: hold like its 426, and ask again later (socket.io
    // does not reconnect after a refused handshake); central's upgrade is noticed then.
    const waitS = err.data.retryAfterSeconds ?? UPGRADE_RETRY_AFTER_S;
    this.log(`central refused the socket: ${err.message}`);
    this.agent.engine.heldByCentral({ kind: "UPGRADE_REQUIRED", reason: err.message }, waitS);
    clearTimeout(this.upgradeRetry);
    this.upgradeRetry = setTimeout(() => this.stopped || this.socket.connect(), waitS * 1000);
    this.upgradeRetry.unref();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  start(): this {
    this.socket.connect();
    return this;
  }

  /**
   * The fast path of a stop at central (its enforcement is the 423): the engine holds without
   * asking central, apart from the local pause flag, so an operator's `resume` on the till
   * does not lift it and central's resume does not lift a local pause.
   */
  private onPause(raw: unknown): void {
    const p = socketEvents["sync:pause"].safeParse(raw);
    if (!p.success) return;
    this.agent.engine.heldByCentral({
      kind: p.data.kind ?? "EMERGENCY_STOP",
      reason: p.data.reason ?? null,
      since: p.data.since ?? null,
      by: p.data.by ?? null,
    });
    this.emit("paused");
    void this.opts.heartbeat?.beatNow();
  }

  private onResume(raw: unknown): void {
    if (!socketEvents["sync:resume"].safeParse(raw).success) return;
    const legacy = this.state.get(HUB_PAUSED) === "1";
    // Central says resume on every connect; only a hold it set is news.
    if (!legacy && !this.agent.engine.heldBy()) return;
    if (legacy) {
      this.state.set(HUB_PAUSED, "0");
      this.agent.engine.resume();
    }
    this.emit("resumed");
    void this.agent.engine.centralResumed().then(() => this.opts.heartbeat?.beatNow());
  }

  private onTrigger(raw: unknown): void {
    const p = socketEvents["sync:trigger"].safeParse(raw);
    if (!p.success || p.data.terminalId !== this.config.TERMINAL_ID) return;
    this.emit("trigger", p.data);
    this.latest = p.data;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /**
   * Runs cycles until no trigger is left unserved, then acks the newest. A cycle already in
   * flight when a trigger arrives may have pulled before the change, so one more runs.
   */
  private drain(): Promise<void> {
    // The cycles' cursors go on their triggers' acks where central takes them (socket-cursor.ts).
    return this.cursor.during(() => this.drainTriggers());
  }

  private async drainTriggers(): Promise<void> {
    while (this.latest && !this.stopped) {
      const t = this.latest;
      this.latest = undefined;
      const kind = this.agent.engine.current.kind;
      const busy = kind === "pushing" || kind === "pulling" || kind === "pulling-with-sales";
      // FULL moves every band (priority 1 and up); INCREMENTAL the bands due every cycle.
      const min = t.type === "FULL" ? Priority.BACKGROUND : Priority.HIGH;
      // A trigger is central answering: it ends a backoff or an open breaker's cool-down too.
      let r = await (this.agent.engine.centralReachable(min) ?? this.agent.engine.runCycle(min));
      if (busy && !r.error) r = await this.agent.engine.runCycle(min);
      if (r.error) {
        // No ack: central retries with backoff, and the engine's own backoff runs meanwhile.
        this.log(`triggered sync failed: ${r.error}`);
        continue;
      }
      if (this.latest) continue; // a newer trigger arrived during the cycle: serve it too
      const ack = { terminalId: t.terminalId, type: t.type, timestamp: t.timestamp };
      this.cursor.ack(ack);
      this.emit("acked", ack);
    }
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.agent.engine.cursorOverSocket === this.ackCursor) this.agent.engine.cursorOverSocket = undefined;
    if (this.agent.engine.pullOverSocket === this.pullPage) this.agent.engine.pullOverSocket = undefined;
    clearTimeout(this.upgradeRetry);
    this.socket.disconnect();
    await this.running?.catch(() => undefined);
  }
}

/** Starts the link of a running agent (the `start` command). */
export function startSocketLink(agent: Agent, config: AgentConfig, opts?: SocketLinkOptions): SocketLink {
  return new SocketLink(agent, config, opts).start();
}
