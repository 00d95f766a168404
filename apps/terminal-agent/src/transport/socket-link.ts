import { EventEmitter } from "node:events";
import { io, type Socket } from "socket.io-client";
import {
  DEFAULT_SYNC_POLICY,
  errorFromBody,
  policyForProtocol,
  Priority,
  registerAnswerSchema,
  socketEvents,
  syncCursorAnswerSchema,
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

/**
 * sync_state key an older agent set while central's emergency stop had paused it through the
 * local pause flag; a pause it left behind is still lifted by central's resume.
 */
const HUB_PAUSED = "hub_paused";

interface ServerEvents {
  "sync:trigger": (p: unknown) => void;
  "sync:pause": (p: unknown) => void;
  "sync:resume": (p: unknown) => void;
}
/** Answers (socket.io acknowledgements) are `unknown` until parsed: central's word is checked. */
interface ClientEvents {
  "terminal:register": (p: SocketPayload<"terminal:register">, answer: (a: unknown) => void) => void;
  "sync:ack": (p: SocketPayload<"sync:ack">, answer?: (a: unknown) => void) => void;
  "sync:cursor": (p: SocketPayload<"sync:cursor">, answer: (a: unknown) => void) => void;
  "sync:pull": (p: SocketPayload<"sync:pull">, answer: (a: unknown) => void) => void;
}

/**
 * How long the agent waits for central's answer to its register or to a `sync:cursor`. Without
 * the register's answer (a central before it) cursors go over HTTP; without a cursor's, the
 * engine acknowledges that cursor over HTTP too (recording it twice is harmless: central keeps
 * the greater).
 */
export const SOCKET_ANSWER_TIMEOUT_MS = 5_000;

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
  /** This connection's central said it takes `sync:cursor` (its register answer); reset on disconnect. */
  private cursorAck = false;
  /** This connection's central said it answers `sync:pull`; reset on disconnect. */
  private pullAnswered = false;
  /** This connection's central said it takes the applied cursor on `sync:ack`; reset on disconnect. */
  private cursorOnAck = false;
  /** True while triggered cycles run (drain): a cursor they pull can wait for the trigger's ack. */
  private draining = false;
  /** The cursor (and its epoch) a triggered cycle applied, to go on the trigger's ack. */
  private carried: { cursor: FeedCursor; epoch: string } | undefined;
  /** What central's rows are checked against: the policy of the protocol the handshake names. */
  private readonly policy: SyncPolicy;
  private readonly pullPage = (since: FeedCursor, limit: number, epoch?: string) =>
    this.pullOverSocket(since, limit, epoch);
  /** Counts connections, so a late register answer of an earlier one is not believed for this one. */
  private connection = 0;
  private readonly ackCursor = (cursor: FeedCursor, epoch?: string) => this.takeCursor(cursor, epoch);

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
            this.cursorAck = a?.cursorAck === true;
            this.pullAnswered = a?.pull === true;
            this.cursorOnAck = a?.cursorOnAck === true;
          },
        );
      this.log("socket to central connected");
      this.emit("connected");
      // Central answers again: a till waiting out its backoff or an open breaker syncs now.
      void this.agent.engine.centralReachable();
    });
    this.socket.on("disconnect", (reason) => {
      // The next connection may reach another instance, or an older one.
      this.cursorAck = false;
      this.pullAnswered = false;
      this.cursorOnAck = false;
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
    const answer = syncPullAnswerSchema.safeParse(raw);
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

  /**
   * The engine's pulled cursor. In a triggered cycle, when this connection's central takes it on
   * `sync:ack`, it is kept for the ack that follows the cycle (drain), so the cycle ends without
   * a `sync:cursor` and the wait for its answer: after a price change, a frame, an answer and a
   * statement's wait less for each of a thousand tills. Otherwise it goes as `sync:cursor`.
   */
  private takeCursor(cursor: FeedCursor, epoch: string | undefined): Promise<boolean> {
    if (this.draining && epoch && this.cursorOnAck && this.socket.connected && !this.stopped) {
      this.carried = { cursor, epoch };
      return Promise.resolve(true);
    }
    return this.cursorOverSocket(cursor);
  }

  /**
   * A cursor taken for a trigger's ack whose ack did not carry it (the cycle failed after its
   * pull, a stop, the offer gone with the connection) or whose answer said central could not
   * record it: acknowledged as it was before, over `sync:cursor` or HTTP.
   */
  private async acknowledgeElsewhere(cursor: FeedCursor): Promise<void> {
    if (await this.cursorOverSocket(cursor)) return;
    try {
      await this.agent.engine.acknowledgeOverHttp(cursor);
    } catch (err) {
      // Recorded lower for now, which only holds compaction back: the next acknowledge replaces it.
      this.log(`could not acknowledge cursor ${cursor}: ${(err as Error).message}`);
    }
  }

  /** Central's answer to a `sync:ack` that carried a cursor (answered as `sync:cursor` is). */
  private onCursorAckAnswer(cursor: FeedCursor, err: Error | null, raw: unknown): void {
    const a = err ? undefined : syncCursorAnswerSchema.safeParse(raw).data;
    if (a?.ok) return;
    if (a?.error) {
      // Central's refusal (not a position of its feed, a key no longer valid): sending it another
      // way would ask the same of it. A reset shows at the next pull.
      this.log(`central did not record the cursor on sync:ack: ${a.error}`);
      return;
    }
    void this.acknowledgeElsewhere(cursor); // no answer in time, or central's own failure
  }

  /**
   * The engine's pulled cursor, acknowledged over this socket when its central takes it (one
   * HTTP request less per pull: after a price change, one less for each of a thousand tills).
   * True once central answered that it recorded it; false sends the engine to HTTP.
   */
  private async cursorOverSocket(cursor: FeedCursor): Promise<boolean> {
    if (!this.cursorAck || !this.socket.connected || this.stopped) return false;
    const terminalId = this.config.TERMINAL_ID as SocketPayload<"sync:cursor">["terminalId"];
    try {
      const raw: unknown = await this.socket
        .timeout(SOCKET_ANSWER_TIMEOUT_MS)
        .emitWithAck("sync:cursor", { terminalId, cursor });
      const answer = syncCursorAnswerSchema.safeParse(raw);
      if (answer.data?.ok === true) return true;
      this.log(
        `central did not record the cursor over the socket (${answer.data?.error ?? "bad answer"}); acknowledging over HTTP`,
      );
      return false;
    } catch {
      return false; // no answer in time (or the socket went): HTTP
    }
  }

  /** Whether cursors now go over the socket (central's register answer said it takes them). */
  get cursorOverSocketOn(): boolean {
    return this.cursorAck && this.socket.connected;
  }

  /** Whether a triggered cycle's cursor now goes on its `sync:ack` (central's register answer said so). */
  get cursorOnAckOn(): boolean {
    return this.cursorOnAck && this.socket.connected;
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
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      await this.drainTriggers();
    } finally {
      this.draining = false;
      const left = this.carried;
      this.carried = undefined;
      if (left) await this.acknowledgeElsewhere(left.cursor);
    }
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
      const carried = this.carried;
      this.carried = undefined;
      if (carried && this.cursorOnAck && this.socket.connected) {
        this.socket
          .timeout(SOCKET_ANSWER_TIMEOUT_MS)
          .emitWithAck("sync:ack", { ...ack, ...carried })
          .then(
            (raw: unknown) => this.onCursorAckAnswer(carried.cursor, null, raw),
            (err: Error) => this.onCursorAckAnswer(carried.cursor, err, undefined),
          );
      } else {
        this.socket.emit("sync:ack", ack);
        if (carried) void this.acknowledgeElsewhere(carried.cursor);
      }
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
