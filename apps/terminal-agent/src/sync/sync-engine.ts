import { EventEmitter } from "node:events";
import {
  BAND_EVERY_NTH_CYCLE,
  DatabaseUnavailableError,
  Priority,
  SyncStoppedError,
  UpgradeRequiredError,
  type FeedCursor,
  type PullResponse,
  type TillsyncError,
} from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import { pullOrRecover, type FeedRecoveryReport } from "../recovery/feed-recovery";
import { stmt, type SqliteDb } from "../db/terminal-db";
import type { OutboxStore, RejectRetry } from "../outbox/outbox-store";
import type { CentralTransport } from "../transport/central-transport";
import { CentralHoldStore, type CentralHold } from "./central-hold";
import { databaseWaitMs } from "./database-wait";
import { EngineStateWriter } from "./engine-state-writer";
import { applyPulledPage, FEED_EPOCH_KEY } from "./pull-applier";
import { pushPipelined } from "./push-pipeline";
import { SalesLane } from "./sales-lane";
import { UrgentSignal } from "./urgent-signal";
import { StorageWatch, type StorageCondition } from "./storage-condition";
import {
  INITIAL_STATE,
  transition,
  type MachineOptions,
  type SyncEvent,
  type StateKind,
  type SyncState,
} from "./sync-state-machine";

/** What the engine runs with; `engineOptionsFromConfig` (daemon/) fills it from the parsed config. */
export interface EngineOptions {
  batchSize: number;
  intervalMs: number;
  /** Rows per pull page (SYNC_PULL_PAGE_SIZE). */
  pullLimit: number;
  /**
   * How often the engine looks for new CRITICAL rows written by the till (SYNC_WATCH_MS). The
   * poll is one PRAGMA that reads a counter; it is the floor of the write → central latency.
   */
  watchMs: number;
  machine: MachineOptions;
  /** When a change central rejected is tried again, and how often before it parks as FAILED. */
  rejectRetry: RejectRetry;
  /**
   * How long to wait before asking again when central said sync:pause without saying when
   * (a 423 carries its own retryAfterSeconds). Default HELD_RETRY_MS.
   */
  heldRetryMs?: number;
  /** How long to wait before trying again after the till's disk refused a write (default STORAGE_RETRY_MS). */
  storageRetryMs?: number;
  /**
   * Daemon mode: how long one cycle pushes before it pulls (default PUSH_SLICE_MS). The next
   * cycle starts right after, so a long push loses no time; without a bound, a till selling
   * without pause, or a large backlog, would never pull a price change.
   */
  pushSliceMs?: number;
  /**
   * Write every state to sync_state 'engine_state', where `status` reads it (default true).
   * One-shot CLI commands turn it off so they never overwrite a running daemon's state.
   */
  persistState?: boolean;
}

export interface CycleReport {
  pushed: number;
  conflicts: number;
  failed: number;
  pulled: number;
  error?: string;
  /** Set when no cycle ran: the engine was paused, stopped or inside the breaker's cool-down. */
  skipped?: StateKind;
  /**
   * Set when central answered 423 SYNC_STOPPED or 426 UPGRADE_REQUIRED: nothing moved, every
   * change stays in the outbox.
   */
  held?: boolean;
  /** Set when the till's disk refused one of the agent's writes: retried after storageRetryMs. */
  storageFull?: boolean;
  /** The cycle's sync_history row (what `history` lists), and how long it took; unset when skipped. */
  cycleId?: number;
  durationMs?: number;
  /** Set when the pull found central's feed reset or this cursor expired, and the agent recovered. */
  recovery?: FeedRecoveryReport;
}

/** How long a daemon's cycle pushes before it pulls; the push goes on in the next cycle. */
export const PUSH_SLICE_MS = 2_000;

/** Wait before asking a central that holds sync again, when it did not say how long. */
export const HELD_RETRY_MS = 30_000;
/**
 * Wait before trying again after the till's disk refused a write: space often returns soon (a
 * log rotated, a file deleted) and nothing announces it, so the engine looks again every two
 * seconds; a try on a still-full disk is one small failed write.
 */
export const STORAGE_RETRY_MS = 2_000;

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
  private lastDataVersion = -1;
  /** data_version as last read while a cycle ran, apart from lastDataVersion (see watchLocalChanges). */
  private midCycleDataVersion = -1;
  private readonly urgent = new UrgentSignal();
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
      if (!this.lifetime.signal.aborted) this.syncState.set("last_sync_at", new Date().toISOString());
      this.storage.succeeded();
    } catch (err) {
      this.failedCycle(err, report);
    }
    this.local(() => {
      // Prepared once per connection (stmt): it runs every cycle, a thousand a second in a fan-out.
      const row = stmt(
        this.db,
        `INSERT INTO sync_history (kind, started_at, finished_at, pushed, pulled, conflicts, error)
         VALUES ('CYCLE', ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?, ?, ?, ?)`,
      ).run(started, report.pushed, report.pulled, report.conflicts, report.error ?? null);
      report.cycleId = Number(row.lastInsertRowid);
    });
    report.durationMs = Date.now() - t0;
    this.emit("cycle", report);
    return report;
  }

  /** A cycle failed: held by central, refused by the till's disk, or a failure the breaker counts. */
  private failedCycle(err: unknown, report: CycleReport): void {
    report.error = (err as Error).message;
    if (err instanceof SyncStoppedError) {
      report.held = true;
      this.heldByCentral(err.details, err.details?.retryAfterSeconds);
    } else if (err instanceof UpgradeRequiredError) {
      // Not a failure: central is up and cannot serve this protocol. No breaker, no attempts
      // counted, every change kept; the hold says what to upgrade until an answer succeeds.
      report.held = true;
      this.heldByCentral({ kind: "UPGRADE_REQUIRED", reason: err.message }, err.details?.retryAfterSeconds);
    } else if (err instanceof DatabaseUnavailableError) {
      // Central is up and said when to ask again: its database restarts or fails over. Not
      // counted by the breaker (its cool-down would outlast the database's return, G9), and
      // not the failure backoff, whose jitter after a few quick failures can be half a minute.
      this.local(() => this.syncState.set("mode", "OFFLINE"));
      this.dispatch({ type: "HELD", retryAt: Date.now() + databaseWaitMs(err) });
      this.scheduleRetry();
    } else if (this.storage.failed(err)) {
      // Not central's fault: wait and try again without counting towards the breaker.
      report.storageFull = true;
      this.releaseAfterStorageFailure = true;
      this.dispatch({ type: "HELD", retryAt: Date.now() + (this.opts.storageRetryMs ?? STORAGE_RETRY_MS) });
      this.scheduleRetry();
    } else {
      if ((err as TillsyncError).retryable !== false) this.local(() => this.syncState.set("mode", "OFFLINE"));
      this.dispatch({ type: "FAILED", now: Date.now() });
      this.scheduleRetry();
    }
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
      onOutcome: (o) => {
        report.pushed += o.synced;
        report.conflicts += o.conflicts;
        report.failed += o.failed;
      },
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

  private async pullPages(report: CycleReport): Promise<void> {
    let cursor = this.syncState.cursor();
    let epoch = this.syncState.get(FEED_EPOCH_KEY);
    const start = cursor;
    const limit = this.opts.pullLimit;
    if (this.lifetime.signal.aborted) return; // stopping: the batch in flight was the push
    // A sale committed while the pull runs goes out beside it (sync/sales-lane.ts).
    const lane = this.salesLane(report);
    try {
      let next: Promise<PullResponse> | undefined = this.pullPage(cursor, limit, epoch);
      let mark = lane.mark();
      while (next && !this.lifetime.signal.aborted) {
        const page: PullResponse = await lane.during(next);
        // Ask for the following page before applying this one, so central reads while we write.
        // Pages are still applied in order, each with its cursor, so a failure loses nothing.
        const following = page.hasMore ? this.pullPage(page.nextCursor, limit, page.epoch ?? epoch) : undefined;
        following?.catch(() => undefined); // observed below; avoid an unhandled rejection if we stop first
        const followingMark = lane.mark();
        // Let the request reach the socket first: the apply below is synchronous and would
        // otherwise hold it back until the page is written, and nothing would overlap.
        if (following) await new Promise((resolve) => setImmediate(resolve));
        if (lane.overlapped(mark)) {
          // Read beside a lane push of a change it may reflect: read again once that is recorded.
          await lane.quiet();
          next = this.pullPage(cursor, limit, epoch);
          mark = lane.mark();
          continue;
        }
        epoch = page.epoch ?? epoch;
        report.pulled += applyPulledPage(this.db, page);
        cursor = page.nextCursor;
        [next, mark] = [following, followingMark];
        lane.resume(); // after a page read again with the lane held; and a sale committed during the write
      }
      if (cursor !== start && !(await this.cursorOverSocket?.(cursor, epoch))) await this.transport.acknowledge(cursor);
    } finally {
      await lane.close();
    }
  }

  /**
   * Acknowledges `cursor` over HTTP: for the socket link, when a cursor it took to carry on a
   * trigger's ack could not go that way (the ack was not sent, or central did not answer it).
   */
  acknowledgeOverHttp(cursor: FeedCursor): Promise<void> {
    return this.transport.acknowledge(cursor);
  }

  /** A page over the socket when the link can, else over HTTP (the transport). */
  private async pullPage(since: FeedCursor, limit: number, epoch: string | undefined): Promise<PullResponse> {
    return (await this.pullOverSocket?.(since, limit, epoch)) ?? this.transport.pull(since, limit, undefined, epoch);
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
      onOutcome: (o) => {
        report.pushed += o.synced;
        report.conflicts += o.conflicts;
        report.failed += o.failed;
      },
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

  /**
   * `PRAGMA data_version` changes when another connection commits (the till, or the CLI's
   * pause/resume/retry-failed), so polling it costs almost nothing; only then do we follow
   * the pause flag and look for ready CRITICAL rows.
   */
  private watchLocalChanges(): void {
    // Mid-cycle: leave lastDataVersion unread, so a row committed meanwhile is still noticed on
    // the first poll after the cycle; a sale wakes the push in flight at once (its lane).
    if (this.running) {
      const v = this.db.pragma("data_version", { simple: true }) as number;
      if (v === this.midCycleDataVersion) return;
      this.midCycleDataVersion = v;
      if (this.outbox.hasReady(Priority.CRITICAL)) this.urgent.raise();
      return;
    }
    const v = this.db.pragma("data_version", { simple: true }) as number;
    if (v === this.lastDataVersion) return;
    this.lastDataVersion = v;
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
