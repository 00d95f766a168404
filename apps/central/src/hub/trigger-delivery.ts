import { EventEmitter, setMaxListeners } from "node:events";
import { Queue, Worker, type Job } from "bullmq";
import type { HubTunables } from "../config";
import type { Logger } from "../observability/logger";
import type { HubMetrics } from "../observability/metrics";
import type { HubServer } from "./socket-server";
import type { SyncTrigger, TriggerStore } from "./trigger-store";

/** BullMQ priority (lower runs first): an operator's or a restart's FULL before data changes before schedules. */
const PRIORITY: Record<SyncTrigger["reason"], number> = { MANUAL: 1, SERVER_RESTART: 1, DATA_CHANGED: 2, SCHEDULED: 3 };

export const terminalRoom = (terminalId: string): string => `terminal:${terminalId}`;
export const storeRoom = (storeId: string): string => `store:${storeId}`;

export interface DeliveryOptions {
  /** How long one emit waits for the terminal's sync:ack before BullMQ retries with backoff. */
  ackTimeoutMs: number;
  /** Emits per trigger before it is left pending for the terminal's next connect. */
  attempts: number;
  /** First retry delay of an unacked trigger; doubled per attempt. */
  backoffMs: number;
  concurrency: number;
  /**
   * How often a waiting job looks in Redis for its ack anyway: acks wake it at once, also from
   * other instances (inter-server event); this only covers an event lost with an instance.
   */
  ackPollMs: number;
}

/** The delivery's options from the hub's tunables. */
export function deliveryOptionsOf(t: HubTunables): DeliveryOptions {
  return {
    ackTimeoutMs: t.ackTimeoutMs,
    attempts: t.deliveryAttempts,
    backoffMs: t.deliveryBackoffMs,
    concurrency: t.deliveryConcurrency,
    ackPollMs: t.ackPollMs,
  };
}

/**
 * A delivery attempt that got no ack: an expected outcome, not a fault, so it carries no stack.
 * BullMQ reads `stack` of every failed attempt to record it; formatted through source maps,
 * the frames (always the same two lines of this file) cost a few ms each, and the unacked
 * triggers of tills that registered together time out together: in the 10,000-till heartbeat
 * bench ~100 of them at once held central's loop for 50-70 ms (bench/README.md).
 */
export class AckTimeoutError extends Error {
  constructor(terminalId: string, ms: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(`terminal ${terminalId} did not ack its sync:trigger within ${ms} ms; retrying with backoff`);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = "AckTimeoutError";
  }
}

/**
 * Delivers pending triggers to terminal sockets through a BullMQ queue shared by every
 * instance. One job per terminal at a time (TriggerStore's claim); the job emits to the
 * terminal's room (the Redis adapter reaches whichever instance holds the socket) and waits
 * for the ack; no ack → the job fails and BullMQ retries it with exponential backoff. A
 * terminal that is not connected keeps its trigger pending and gets it when it registers.
 */
export class TriggerDelivery {
  readonly queue: Queue;
  private readonly worker: Worker;
  /** Acks wake the waiting job at once: this instance's directly, other instances' by their inter-server event. */
  private readonly acks = new EventEmitter();
  private readonly lifetime = new AbortController();
  /** Terminals whose trigger this instance emitted directly and whose ack it awaits here, with the claim's job id (sendDirect). */
  private readonly direct = new Map<string, string>();
  /** Direct deliveries whose claim the ack itself released (TriggerStore.ack), by terminal. */
  private readonly released = new EventEmitter();

  constructor(
    private readonly deps: {
      connection: import("bullmq").ConnectionOptions;
      prefix: string;
      store: TriggerStore;
      io: HubServer;
      metrics: HubMetrics;
      log: Logger;
      options: DeliveryOptions;
      /** A trigger stays pending but was not delivered now (runs record it as the terminal's error). */
      onUndelivered?: (terminalId: string, reason: string) => void;
    },
  ) {
    this.acks.setMaxListeners(0);
    this.released.setMaxListeners(0);
    setMaxListeners(0, this.lifetime.signal); // one listener per job waiting for an ack
    this.queue = new Queue("triggers", { connection: deps.connection, prefix: deps.prefix });
    this.queue.on("error", (err) => deps.log.warn({ err }, "trigger queue error"));
    this.worker = new Worker("triggers", (job: Job<{ terminalId: string }>) => this.process(job), {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: deps.options.concurrency,
    });
    this.worker.on("error", (err) => deps.log.warn({ err }, "trigger worker error"));
    deps.io.on("trigger:acked", (terminalId) => this.acks.emit(terminalId));
  }

  /** Records a trigger (merged into any pending one) and makes sure a job delivers it. */
  async send(t: SyncTrigger): Promise<void> {
    const jobId = await this.deps.store.put(t);
    if (jobId) await this.enqueue(t.terminalId, t.reason, jobId);
  }

  /**
   * DATA_CHANGED for a terminal whose socket is on this instance: the pending record and the
   * claim as for any trigger, but the emit goes straight to the local socket and the ack is
   * awaited here, with no BullMQ job (a price change to a thousand tills cost a thousand jobs,
   * each some ten Redis round trips, and half of them looked for their socket across the
   * cluster). Only what needs more goes to the queue, under the same claim: no ack in time (its
   * retries with backoff), a newer trigger merged in meanwhile, the socket gone. The claim names
   * this instance, so after a crash here it is taken like a dead job's. Resolves once emitted
   * (or queued); the ack is awaited in the background.
   */
  async sendDirect(t: SyncTrigger): Promise<void> {
    return this.afterPut(t, await this.deps.store.put(t));
  }

  /**
   * `sendDirect` for many terminals, their pending records and claims written in one Redis
   * pipeline (TriggerStore.putMany). A put that failed leaves its terminal out (rejected with
   * the first such error, after the others were sent), as the failed put of sendDirect does.
   */
  async sendDirectMany(ts: readonly SyncTrigger[]): Promise<void> {
    const puts = await this.deps.store.putMany(ts);
    const failed = puts.find((p): p is Error => p instanceof Error);
    await Promise.all(
      ts.map((t, i) => (puts[i] instanceof Error ? undefined : this.afterPut(t, puts[i] as string | null))),
    );
    if (failed) throw failed;
  }

  /** What follows the put of a direct delivery: `jobId` is the claim the put took, or null. */
  private async afterPut(t: SyncTrigger, jobId: string | null): Promise<void> {
    const id = t.terminalId;
    if (!jobId) return; // a live delivery holds the claim and sends the merged trigger after its ack
    if (!this.localSocket(id) || this.lifetime.signal.aborted) return this.enqueue(id, t.reason, jobId);
    this.direct.set(id, jobId);
    const acked = this.directAck(id);
    this.deps.io.local.to(terminalRoom(id)).emit("sync:trigger", t);
    this.deps.metrics.triggersSent.inc({ reason: t.reason });
    void acked
      .then((ok) => this.afterDirect(t, jobId, ok))
      .catch((err: unknown) => this.deps.log.warn({ err, terminalId: id }, "direct trigger delivery failed"));
  }

  private async afterDirect(t: SyncTrigger, jobId: string, acked: "released" | "acked" | "none"): Promise<void> {
    const id = t.terminalId;
    this.direct.delete(id);
    if (acked === "released") return; // the ack cleared the trigger and the claim in one script
    // Closing: the trigger stays pending, for the terminal's next connection (to any instance).
    if (this.lifetime.signal.aborted) return this.deps.store.release(id, jobId);
    if (acked === "acked" && (await this.deps.store.releaseIfDone(id, jobId))) return;
    await this.enqueue(id, t.reason, jobId, acked === "acked" ? 0 : this.deps.options.backoffMs);
  }

  /**
   * How the direct delivery's wait ended: its claim released by the ack here, an ack (here or,
   * by inter-server event, elsewhere) that left the claim, or none within ackTimeoutMs.
   */
  private directAck(terminalId: string): Promise<"released" | "acked" | "none"> {
    return new Promise((resolve) => {
      const finish = (v: "released" | "acked" | "none") => {
        clearTimeout(timer);
        this.acks.off(terminalId, onAck);
        this.released.off(terminalId, onReleased);
        this.lifetime.signal.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const onAck = () => finish("acked");
      const onReleased = () => finish("released");
      const onAbort = () => finish("none");
      const timer = setTimeout(() => finish("none"), this.deps.options.ackTimeoutMs);
      this.acks.on(terminalId, onAck);
      this.released.on(terminalId, onReleased);
      this.lifetime.signal.addEventListener("abort", onAbort);
    });
  }

  private localSocket(terminalId: string): boolean {
    return (this.deps.io.of("/").adapter.rooms.get(terminalRoom(terminalId))?.size ?? 0) > 0;
  }

  /** A terminal registered on a socket: deliver what is pending for it. */
  async onRegister(terminalId: string): Promise<void> {
    const t = await this.deps.store.pending(terminalId);
    const jobId = t && (await this.deps.store.claimIfPending(terminalId));
    if (jobId) await this.enqueue(terminalId, t.reason, jobId);
  }

  /** Resolves whether any sync run is open (the ack's script asks): only then may the ack complete a run part. */
  async onAck(terminalId: string, timestamp: string | undefined): Promise<boolean> {
    const direct = this.direct.get(terminalId);
    const { outcome, runsOpen } = await this.deps.store.ack(terminalId, timestamp, direct);
    if (outcome === "released") {
      this.released.emit(terminalId);
      return runsOpen;
    }
    this.acks.emit(terminalId);
    // The job waiting for it may run on another instance (whichever took it from the queue);
    // not when this instance delivered directly: then the claim is its own, no job waits.
    if (!direct) this.deps.io.serverSideEmit("trigger:acked", terminalId);
    return runsOpen;
  }

  /** `jobId`: the one the claim names, so the job can tell whether the claim is still its own. */
  private async enqueue(terminalId: string, reason: SyncTrigger["reason"], jobId: string, delay = 0): Promise<void> {
    await this.queue.add(
      "deliver",
      { terminalId },
      {
        jobId,
        delay,
        priority: PRIORITY[reason],
        attempts: this.deps.options.attempts,
        backoff: { type: "exponential", delay: this.deps.options.backoffMs },
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  /** Whether the terminal has a socket anywhere: this instance's rooms first, the cluster only if not here. */
  private async connected(terminalId: string): Promise<boolean> {
    if (this.localSocket(terminalId)) return true;
    return (await this.deps.io.in(terminalRoom(terminalId)).fetchSockets()).length > 0;
  }

  private async process(job: Job<{ terminalId: string }>): Promise<string> {
    const id = job.data.terminalId;
    const jobId = job.id!;
    const { store, io, metrics, options } = this.deps;
    // A stalled job of a crashed instance that BullMQ hands out again: its claim went to a live job.
    if (!(await store.owns(id, jobId))) return "superseded";
    for (;;) {
      const t = await store.pending(id);
      if (!t) {
        if (await store.releaseIfDone(id, jobId)) return "acked";
        continue; // a new trigger arrived between the two reads
      }
      if (!(await this.connected(id))) {
        await store.release(id, jobId);
        // It may have registered after we looked, found the claim taken and left it to us.
        const next = (await this.connected(id)) && (await store.claimIfPending(id));
        if (next) await this.enqueue(id, t.reason, next);
        else this.deps.onUndelivered?.(id, "not connected; the trigger waits for its next connection");
        return "deferred";
      }
      io.to(terminalRoom(id)).emit("sync:trigger", t);
      metrics.triggersSent.inc({ reason: t.reason });
      if (!(await this.waitForAck(id, t.timestamp))) {
        const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (last) {
          await store.release(id, jobId); // stays pending; delivered at the next register
          this.deps.onUndelivered?.(id, `no sync:ack after ${options.attempts} emits`);
        }
        throw new AckTimeoutError(id, options.ackTimeoutMs);
      }
    }
  }

  /**
   * True once the terminal acked this trigger (or a newer one), or nothing is pending any more.
   * A newer trigger merging in meanwhile does not end the wait: the agent is still syncing
   * for this one, and the newer one is sent after its ack (so a burst costs one more emit).
   */
  private waitForAck(terminalId: string, timestamp: string): Promise<boolean> {
    return new Promise((resolve) => {
      let done = false;
      const check = async () => {
        if (done) return;
        const { store } = this.deps;
        let p, acked;
        try {
          [p, acked] = await Promise.all([store.pending(terminalId), store.lastAck(terminalId)]);
        } catch {
          return; // Redis hiccup: look again at the next poll
        }
        if (!p || (acked !== undefined && acked >= timestamp)) finish(true);
      };
      const finish = (v: boolean) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timeout);
        this.acks.off(terminalId, onAck);
        this.lifetime.signal.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const onAck = () => void check();
      const onAbort = () => finish(false);
      const poll = setInterval(() => void check(), this.deps.options.ackPollMs);
      const timeout = setTimeout(() => finish(false), this.deps.options.ackTimeoutMs);
      this.acks.on(terminalId, onAck);
      this.lifetime.signal.addEventListener("abort", onAbort);
      void check();
    });
  }

  async close(): Promise<void> {
    this.lifetime.abort();
    await this.worker.close(true);
    await this.queue.close();
  }
}
