import type { Socket } from "socket.io-client";
import { syncCursorAnswerSchema, type FeedCursor, type RegisterAnswer, type SocketPayload } from "@tillsync/shared";
import type { SyncEngine } from "../sync/sync-engine";
import type { ClientEvents, ServerEvents } from "./socket-link";

/**
 * How long the agent waits for central's answer to its register, to a `sync:cursor` or to a
 * `sync:ack` carrying a cursor. Without the register's answer (a central before it) cursors go
 * over HTTP; without a cursor's, the engine acknowledges that cursor over HTTP too (recording
 * it twice is harmless: central keeps the greater).
 */
export const SOCKET_ANSWER_TIMEOUT_MS = 5_000;

export interface SocketCursorDeps {
  socket: Socket<ServerEvents, ClientEvents>;
  terminalId: string;
  engine: Pick<SyncEngine, "acknowledgeOverHttp">;
  /** The link was stopped: nothing more goes over its socket. */
  stopped(): boolean;
  log(msg: string): void;
}

/**
 * The acknowledged cursor over the link's socket (SPEC §4: the cursor the till applied, for
 * central's lag view and compaction), as this connection's central offers it in its register
 * answer. `cursorOnAck`: a cursor pulled in a cycle run for a trigger waits for that trigger's
 * `sync:ack` and goes on it, so the cycle ends without a `sync:cursor` and the wait for its
 * answer (after a price change, a frame, an answer and a statement's wait less for each of a
 * thousand tills). `cursorAck`: it goes as `sync:cursor` (one HTTP request less per pull).
 * Neither, or no answer: over HTTP, as before.
 */
export class SocketCursor {
  /** This connection's central takes `sync:cursor`; reset on disconnect. */
  private cursorAck = false;
  /** This connection's central takes the applied cursor on `sync:ack`; reset on disconnect. */
  private cursorOnAck = false;
  /** True while triggered cycles run (SocketCursor.during): their cursors can wait for the ack. */
  private draining = false;
  /** The cursor (and its epoch) a triggered cycle applied, to go on the trigger's ack. */
  private carried: { cursor: FeedCursor; epoch: string } | undefined;

  constructor(private readonly deps: SocketCursorDeps) {}

  /** What this connection's central said in its register answer (undefined: no answer). */
  offered(a: RegisterAnswer | undefined): void {
    this.cursorAck = a?.cursorAck === true;
    this.cursorOnAck = a?.cursorOnAck === true;
  }

  /** The connection went; the next one may reach another instance, or an older one. */
  reset(): void {
    this.cursorAck = false;
    this.cursorOnAck = false;
  }

  get overSocket(): boolean {
    return this.cursorAck && this.deps.socket.connected;
  }

  get onAck(): boolean {
    return this.cursorOnAck && this.deps.socket.connected;
  }

  /**
   * The engine's pulled cursor (SyncEngine.cursorOverSocket): kept for the trigger's ack inside
   * `during` when central takes it there, else sent as `sync:cursor`. False: the engine uses HTTP.
   */
  take(cursor: FeedCursor, epoch: string | undefined): Promise<boolean> {
    if (this.draining && epoch && this.onAck && !this.deps.stopped()) {
      this.carried = { cursor, epoch };
      return Promise.resolve(true);
    }
    return this.send(cursor, epoch);
  }

  /**
   * Runs the triggered cycles; a cursor they took and no ack carried (the cycle failed after its
   * pull, a stop) is acknowledged the way it was before, at the end.
   */
  async during(cycles: () => Promise<void>): Promise<void> {
    this.draining = true;
    try {
      await cycles();
    } finally {
      this.draining = false;
      const left = this.carried;
      this.carried = undefined;
      if (left) await this.elsewhere(left.cursor, left.epoch);
    }
  }

  /** Acks a trigger with the cursor its cycles took, when there is one and central takes it. */
  ack(ack: SocketPayload<"sync:ack">): void {
    const carried = this.carried;
    this.carried = undefined;
    const { socket } = this.deps;
    if (!carried || !this.onAck) {
      socket.emit("sync:ack", ack);
      if (carried) void this.elsewhere(carried.cursor, carried.epoch);
      return;
    }
    socket
      .timeout(SOCKET_ANSWER_TIMEOUT_MS)
      .emitWithAck("sync:ack", { ...ack, ...carried })
      .then(
        (raw: unknown) => this.answered(carried, null, raw),
        (err: Error) => this.answered(carried, err, undefined),
      );
  }

  /** Central's answer to a `sync:ack` that carried a cursor (answered as `sync:cursor` is). */
  private answered(carried: { cursor: FeedCursor; epoch: string }, err: Error | null, raw: unknown): void {
    const a = err ? undefined : syncCursorAnswerSchema.safeParse(raw).data;
    if (a?.ok) return;
    if (a?.error) {
      // Central's refusal (not a position of its feed, a key no longer valid): sending it another
      // way would ask the same of it. A reset shows at the next pull.
      this.deps.log(`central did not record the cursor on sync:ack: ${a.error}`);
      return;
    }
    void this.elsewhere(carried.cursor, carried.epoch); // no answer in time, or central's own failure
  }

  /** A cursor no ack carried, or whose ack central could not record: `sync:cursor`, else HTTP. */
  private async elsewhere(cursor: FeedCursor, epoch: string | undefined): Promise<void> {
    if (await this.send(cursor, epoch)) return;
    try {
      await this.deps.engine.acknowledgeOverHttp(cursor, epoch);
    } catch (err) {
      // Recorded lower for now, which only holds compaction back: the next acknowledge replaces it.
      this.deps.log(`could not acknowledge cursor ${cursor}: ${(err as Error).message}`);
    }
  }

  /**
   * `sync:cursor`, when this connection's central takes it. True once central answered that it
   * recorded it; false sends the caller to HTTP.
   */
  async send(cursor: FeedCursor, epoch?: string): Promise<boolean> {
    const { socket } = this.deps;
    if (!this.cursorAck || !socket.connected || this.deps.stopped()) return false;
    const terminalId = this.deps.terminalId as SocketPayload<"sync:cursor">["terminalId"];
    try {
      const raw: unknown = await socket
        .timeout(SOCKET_ANSWER_TIMEOUT_MS)
        .emitWithAck("sync:cursor", { terminalId, cursor, ...(epoch ? { epoch } : {}) });
      const answer = syncCursorAnswerSchema.safeParse(raw);
      if (answer.data?.ok === true) return true;
      this.deps.log(
        `central did not record the cursor over the socket (${answer.data?.error ?? "bad answer"}); acknowledging over HTTP`,
      );
      return false;
    } catch {
      return false; // no answer in time (or the socket went): HTTP
    }
  }
}
