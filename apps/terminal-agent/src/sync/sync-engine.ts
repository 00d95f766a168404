import { EventEmitter } from "node:events";
import { BAND_EVERY_NTH_CYCLE, Priority, type FeedCursor, type PullResponse } from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import { pullOrRecover } from "../recovery/feed-recovery";
import { stmt, type SqliteDb } from "../db/terminal-db";
import type { OutboxStore, PushOutcome } from "../outbox/outbox-store";
import type { CentralTransport } from "../transport/central-transport";
import { CentralHoldStore, type CentralHold } from "./central-hold";
import { classifyCycleFailure } from "./cycle-failure";
import { DataVersionWatch } from "./data-version-watch";
import { EngineStateWriter } from "./engine-state-writer";
import { pullPages } from "./pull-pages";
import { pushPipelined } from "./push-pipeline";
import { SalesLane } from "./sales-lane";
import { HELD_RETRY_MS, PUSH_SLICE_MS, STORAGE_RETRY_MS, type CycleReport, type EngineOptions } from "./engine-options";
import { UrgentSignal } from "./urgent-signal";
import { StorageWatch, type StorageCondition } from "./storage-condition";
import { INITIAL_STATE, transition, type SyncEvent, type SyncState } from "./sync-state-machine";

function addOutcome(report: CycleReport, o: PushOutcome): void {
  report.pushed += o.synced;
  report.conflicts += o.conflicts;
  report.failed += o.failed;
}

interface EngineEvents {
  state: [SyncState];
  cycle: [CycleReport];
}

/**
 * Drives the state machine: runs push/pull cycles on the interval, at once for CRITICAL
 * changes, and on backoff/breaker timers. Cycles never overlap. Local writes never wait on
 * any of this: the till writes its own SQLite file and capture is a trigger (G6).
 */
export class SyncEngine extends EventEmitter<EngineEvents> {
  private state: SyncState = INITIAL_STATE;
  private readonly syncState: SyncStateStore;
  private readonly centralHold: CentralHoldStore;
  /**
   * Holds heard by this process (heldByCentral), counted: a cycle lifts the hold at its end only
   * if none was heard while it ran. A count, not heardAt against the cycle's start: a cycle that
   * follows a hold at once starts in the same millisecond.
   */
  private holdsHeard = 0;
  private running: Promise<CycleReport> | undefined;
  private runningMin: number = Priority.BACKGROUND;
  /** The broadest band asked for while a narrower cycle ran (daemon mode): it runs next. */
  private dueAfterRunning: number | undefined;
  private cycleNo = 0;
  private timers: NodeJS.Timeout[] = [];
  /** Writes the state for `status` when it changed (engine-state-writer.ts). */
  private readonly stateWriter: EngineStateWriter;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly urgent = new UrgentSignal();
  private readonly localCommits: DataVersionWatch;
  /** The till's disk as the engine's own writes found it (status and the heartbeat report it). */
  private readonly storage = new StorageWatch();
  /** A write failed mid-cycle: rows it left SYNCING go back to PENDING before the next batch. */
  private releaseAfterStorageFailure = false;
  /** Aborted by stop(): loops finish the batch in flight and take no new one. */
  private readonly lifetime = new AbortController();
  /**
   * Set by the socket link (transport/socket-link.ts): acknowledges a pulled cursor (of the feed
   * epoch given) over the socket, or takes it to carry on the ack of the trigger this cycle runs
   * for; it resolves false when it could do neither (no link, a central that does not take it, no
   * answer in time), and the pull then acknowledges over HTTP, as without it.
   */
  cursorOverSocket: ((cursor: FeedCursor, epoch?: string) => Promise<boolean>) | undefined;
  /**
   * Set by the socket link: a page pulled over the socket, checked as the HTTP transport checks
   * it; undefined when it could not be (no link, a central that does not offer it, no answer in
   * time), and the page is then pulled over HTTP. Central's errors (a hold, a reset) are thrown
   * as over HTTP.
   */
  pullOverSocket: ((since: FeedCursor, limit: number, epoch?: string) => Promise<PullResponse | undefined>) | undefined;

  constructor(
    private readonly db: SqliteDb,
    private readonly outbox: OutboxStore,
    private readonly transport: CentralTransport,
    private readonly opts: EngineOptions,
  ) {
    super();
    this.syncState = new SyncStateStore(db);
    this.centralHold = new CentralHoldStore(db);
    this.localCommits = new DataVersionWatch(db);
    this.stateWriter = new EngineStateWriter((value) =>
      this.opts.persistState === false ? false : this.local(() => this.syncState.set("engine_state", value)),
    );
    if (this.syncState.get("paused") === "1") this.dispatch({ type: "PAUSE" });
    else this.stateWriter.now(this.state); // a state left by a process that died is not this one's
  }

  get current(): SyncState {
    return this.state;
  }

  private dispatch(e: SyncEvent): void {
    const next = transition(this.state, e, this.opts.machine);
    if (next !== this.state) {
      this.state = next;
      this.stateWriter.entered(next, () => this.state);
      this.emit("state", next);
    }
  }

  /** Whether the till's disk took the engine's last write. */
  get storageCondition(): StorageCondition {
    return this.storage.current;
  }

  /**
   * One of the engine's own writes. A full disk must not kill the daemon (the till's own writes
   * failing is expected then): it is recorded, and the next cycle tries again; any other error
   * is thrown. Returns whether the write went through.
   */
  private local(write: () => unknown): boolean {
    try {
      write();
      this.storage.succeeded();
      return true;
    } catch (err) {
      if (!this.storage.failed(err)) throw err;
      this.releaseAfterStorageFailure = true;
      return false;
    }
  }

  /**
   * One push + pull cycle. `minPriority` limits the push to bands due now (1 = everything).
   * Resolves with what moved; a failure is reported in `error`, not thrown.
   */
  runCycle(minPriority: number = Priority.BACKGROUND): Promise<CycleReport> {
    if (this.running) {
      // An interval tick that lands while a CRITICAL-only cycle runs must not be lost: a till
      // selling all day would otherwise never push its lower bands (they starve behind sales).
      if (this.timers.length > 0 && minPriority < this.runningMin)
        this.dueAfterRunning = Math.min(this.dueAfterRunning ?? minPriority, minPriority);
      return this.running;
    }
    this.runningMin = minPriority;
    this.running = this.cycle(minPriority).finally(() => {
      this.running = undefined;
      const due = this.dueAfterRunning;
      this.dueAfterRunning = undefined;
      if (due !== undefined && this.timers.length > 0) void this.runCycle(due);
    });
    return this.running;
  }

  private async cycle(minPriority: number): Promise<CycleReport> {
    const report: CycleReport = { pushed: 0, conflicts: 0, failed: 0, pulled: 0 };
    const kind = this.state.kind;
    if (kind === "idle") this.dispatch({ type: "CYCLE" });
    else if (kind === "backing-off" || kind === "circuit-open") this.dispatch({ type: "RETRY", now: Date.now() });
    // Only the machine decides whether a cycle may run (paused, stopped, breaker cooling down).
    if (this.state.kind !== "pushing") {
      report.skipped = this.state.kind;
      this.scheduleRetry();
      return report;
    }
    const t0 = Date.now();
    const holdsAtStart = this.holdsHeard;
    const started = new Date(t0).toISOString();
    if (this.releaseAfterStorageFailure) {
      // Cycles never overlap, so nothing is in flight now; a resend is safe (change ids, G1).
      this.releaseAfterStorageFailure = false;
      this.local(() => this.outbox.resetInFlight());
    }
    try {
      await this.pushAll(minPriority, report);
      this.dispatch({ type: "PUSHED" });
      await this.pullAll(report);
      this.dispatch({ type: "PULLED" });
      // Read before written: a till that stays online would otherwise commit this every cycle.
      if (this.syncState.get("mode") !== "ONLINE") this.syncState.set("mode", "ONLINE");
      // Central answered without a 423/426: nothing holds sync any more, unless the hold was
      // heard while this cycle ran (a sync:pause newer than the answers), so a resume still lifts it.
      if (this.holdsHeard === holdsAtStart && this.centralHold.get()) this.centralHold.clear();
      // last_sync_at and the cycle's history row in one commit: a triggered cycle made three
      // commits of the till's file (the page, these two), a thousand tills at once in a fan-out;
      // and a sync is never claimed at last_sync_at without its history row, nor the other way.
      const aborted = this.lifetime.signal.aborted;
      this.db
        .transaction(() => {
          if (!aborted) this.syncState.set("last_sync_at", new Date().toISOString());
          this.recordCycle(started, report);
        })
        .immediate();
      this.storage.succeeded();
    } catch (err) {
      report.cycleId = undefined; // rolled back with the transaction, if it got that far
      this.failedCycle(err, report);
    }
    if (report.cycleId === undefined) this.local(() => this.recordCycle(started, report));
    report.durationMs = Date.now() - t0;
    this.emit("cycle", report);
    return report;
  }

  /** The cycle's row in sync_history (its id goes into the report). */
  private recordCycle(started: string, report: CycleReport): void {
    // Prepared once per connection (stmt): it runs every cycle, a thousand a second in a fan-out.
    const row = stmt(
      this.db,
      `INSERT INTO sync_history (kind, started_at, finished_at, pushed, pulled, conflicts, error)
       VALUES ('CYCLE', ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?, ?, ?, ?)`,
    ).run(started, report.pushed, report.pulled, report.conflicts, report.error ?? null);
    report.cycleId = Number(row.lastInsertRowid);
  }

  /** A cycle failed: held by central, refused by the till's disk, or a failure the breaker counts. */
  private failedCycle(err: unknown, report: CycleReport): void {
    report.error = (err as Error).message;
    const f = classifyCycleFailure(err, this.storage);
    if (f.kind === "held") {
      report.held = true;
      return this.heldByCentral(f.hold, f.retryAfterSeconds);
    }
    if (f.kind === "storage") {
      report.storageFull = true;
      this.releaseAfterStorageFailure = true;
    }
    if (f.kind === "database" || (f.kind === "failed" && f.offline))
      this.local(() => this.syncState.set("mode", "OFFLINE"));
    if (f.kind === "failed") this.dispatch({ type: "FAILED", now: Date.now() });
    else {
      const waitMs = f.kind === "database" ? f.waitMs : (this.opts.storageRetryMs ?? STORAGE_RETRY_MS);
      this.dispatch({ type: "HELD", retryAt: Date.now() + waitMs });
    }
    this.scheduleRetry();
  }

  private async pushAll(minPriority: number, report: CycleReport): Promise<void> {
    const sliceEnds = Date.now() + (this.opts.pushSliceMs ?? PUSH_SLICE_MS);
    await pushPipelined({
      outbox: this.outbox,
      transport: this.transport,
      batchSize: this.opts.batchSize,
      minPriority,
      rejectRetry: this.opts.rejectRetry,
      mayClaim: () => {
        if (this.lifetime.signal.aborted) return false;
        if (this.timers.length === 0 || Date.now() < sliceEnds) return true;
        // Pull now; this cycle's bands go on in the cycle that runCycle starts right after.
        this.dueAfterRunning = Math.min(this.dueAfterRunning ?? minPriority, minPriority);
        return false;
      },
      urgent: this.urgent,
      onOutcome: (o) => addOutcome(report, o),
    });
  }

  /** Pulls every page, or recovers when central's feed is not this cursor's (feed-recovery.ts). */
  private async pullAll(report: CycleReport): Promise<void> {
    const { batchSize, pullLimit: pageSize, rejectRetry } = this.opts;
    const deps = { db: this.db, outbox: this.outbox, transport: this.transport, batchSize, pageSize, rejectRetry };
    const onBootstrap = (b: { rows: number }) => (report.pulled += b.rows);
    const r = await pullOrRecover({ ...deps, signal: this.lifetime.signal, onBootstrap }, () => this.pullPages(report));
    if (r) {
      report.recovery = r;
      report.pulled += r.downloaded;
    }
  }

  private pullPages(report: CycleReport): Promise<void> {
    return pullPages(
      {
        db: this.db,
        syncState: this.syncState,
        transport: this.transport,
        pageSize: this.opts.pullLimit,
        signal: this.lifetime.signal,
        // A sale committed while the pull runs goes out beside it (sync/sales-lane.ts).
        lane: this.salesLane(report),
        pullOverSocket: this.pullOverSocket,
        cursorOverSocket: this.cursorOverSocket,
      },
      report,
    );
  }

  /**
   * Acknowledges `cursor` over HTTP: for the socket link, when a cursor it took to carry on a
   * trigger's ack could not go that way (the ack was not sent, or central did not answer it).
   */
  acknowledgeOverHttp(cursor: FeedCursor, epoch?: string): Promise<void> {
    return this.transport.acknowledge(cursor, epoch);
  }

  /** The CRITICAL push beside this cycle's pull; the machine says whether it may start (SALES). */
  private salesLane(report: CycleReport): SalesLane {
    return new SalesLane({
      outbox: this.outbox,
      transport: this.transport,
      batchSize: this.opts.batchSize,
      rejectRetry: this.opts.rejectRetry,
      urgent: this.urgent,
      mayClaim: () => !this.lifetime.signal.aborted,
      onOutcome: (o) => addOutcome(report, o),
      open: () => {
        this.dispatch({ type: "SALES" });
        return this.state.kind === "pulling-with-sales";
      },
      closed: () => this.dispatch({ type: "SALES_PUSHED" }),
    });
  }

  private scheduleRetry(): void {
    if (this.timers.length === 0) return; // not running as a daemon: the caller decides
    const s = this.state;
    if (s.kind !== "backing-off" && s.kind !== "circuit-open") return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.runCycle(), Math.max(0, s.retryAt - Date.now()));
  }

  /** Which priority bands are due in the n-th interval cycle (SPEC §2). */
  static minPriorityForCycle(n: number): number {
    if (n % BAND_EVERY_NTH_CYCLE.LOW === 0) return Priority.LOW;
    if (n % BAND_EVERY_NTH_CYCLE.MEDIUM === 0) return Priority.MEDIUM;
    return Priority.HIGH;
  }

  /** Daemon mode: interval cycles, CRITICAL changes pushed as soon as they are committed. */
  start(): void {
    this.local(() => this.outbox.resetInFlight());
    const tick = () => void this.runCycle(SyncEngine.minPriorityForCycle(++this.cycleNo));
    this.timers.push(setInterval(tick, this.opts.intervalMs));
    this.timers.push(setInterval(() => this.watchLocalChanges(), this.opts.watchMs));
    for (const t of this.timers) t.unref();
  }

  /** Only when another connection committed: follow the pause flag, look for ready CRITICAL rows. */
  private watchLocalChanges(): void {
    if (!this.localCommits.changed(this.running !== undefined)) return;
    // Mid-cycle, a sale wakes the push in flight at once (its lane).
    if (this.running) {
      if (this.outbox.hasReady(Priority.CRITICAL)) this.urgent.raise();
      return;
    }
    const paused = this.syncState.get("paused") === "1";
    if (paused && this.state.kind !== "paused") this.dispatch({ type: "PAUSE" });
    else if (!paused && this.state.kind === "paused") this.dispatch({ type: "RESUME" });
    if (this.state.kind === "idle" && this.outbox.hasReady(Priority.CRITICAL)) void this.runCycle(Priority.CRITICAL);
  }

  /**
   * Central holds sync (a 423, or sync:pause on the socket): recorded apart from the local
   * pause, so `status` shows it and a local resume cannot lift it; no cycle runs before
   * `retryAfterS` (or heldRetryMs) unless central says sync:resume (centralResumed).
   */
  heldByCentral(d: Partial<Omit<CentralHold, "heardAt">> | undefined, retryAfterS?: number): void {
    this.holdsHeard++;
    this.local(() =>
      this.centralHold.set({
        kind: d?.kind ?? "EMERGENCY_STOP",
        reason: d?.reason ?? null,
        since: d?.since ?? null,
        by: d?.by ?? null,
      }),
    );
    const waitMs = retryAfterS ? retryAfterS * 1000 : (this.opts.heldRetryMs ?? HELD_RETRY_MS);
    this.dispatch({ type: "HELD", retryAt: Date.now() + waitMs });
    this.scheduleRetry();
  }

  /** What central last said holds sync, or null (read by the socket link and `status`). */
  heldBy(): CentralHold | null {
    return this.centralHold.get();
  }

  /**
   * Evidence that central answers again (the socket reconnected, a sync:trigger arrived, a
   * heartbeat got through after failing): a till waiting on its backoff or an open breaker
   * runs a cycle now, a half-open probe when the circuit was open (G9). Returns that cycle,
   * or undefined when nothing was waiting (or central holds sync: its own time stands).
   */
  centralReachable(minPriority: number = Priority.BACKGROUND): Promise<CycleReport> | undefined {
    const kind = this.state.kind;
    if ((kind !== "backing-off" && kind !== "circuit-open") || this.centralHold.get()) return undefined;
    this.dispatch({ type: "CENTRAL_BACK" });
    return this.runCycle(minPriority);
  }

  /**
   * Central lifted what held sync (sync:resume): the outbox drains now. A cycle running at
   * that moment may be carrying a 423 central gave before the resume; joining it would leave
   * the till on that 423's retry (up to its retry-after), so a cycle of its own follows it.
   */
  centralResumed(): Promise<CycleReport> {
    this.local(() => this.centralHold.clear());
    const running = this.running;
    if (running) return running.then(() => this.runCycle(Priority.BACKGROUND));
    return this.runCycle(Priority.BACKGROUND);
  }

  pause(): void {
    this.syncState.set("paused", "1");
    this.dispatch({ type: "PAUSE" });
  }

  resume(): void {
    this.syncState.set("paused", "0");
    this.dispatch({ type: "RESUME" });
  }

  /** Finishes the batch in flight, then stops. */
  async stop(): Promise<void> {
    this.lifetime.abort();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.retryTimer);
    await this.running?.catch(() => undefined);
    this.dispatch({ type: "STOP" });
  }
}
