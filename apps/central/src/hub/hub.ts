import { randomUUID } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { EmergencyState, TerminalPause } from "@tillsync/shared";
import type { AlertSink } from "../alerts/alert-sink";
import { scheduledRunAlert } from "../alerts/hub-alerts";
import type { AuthThrottle } from "../auth/auth-throttle";
import type { CentralConfig } from "../config";
import type { Logger } from "../observability/logger";
import type { HubMetrics } from "../observability/metrics";
import type { CentralStore } from "../store/central-store";
import type { Actor } from "../store/sync-control";
import { bullConnection, queuePrefix } from "./bull-connection";
import { ClusterPresence } from "./cluster-presence";
import { FeedWatcher } from "./feed-watcher";
import { KEY_EXPIRY_JOB, runHubJob } from "./hub-jobs";
import { ScheduleService } from "./schedules";
import { RedisRecovery } from "./redis-recovery";
import { SyncRuns } from "./sync-runs";
import { FeedPageCache } from "../feed/feed-page-cache";
import { SocketPulls } from "./socket-pull";
import { createSocketServer, type HubServer, type SocketServerHandle } from "./socket-server";
import { declareJobSchedulers } from "./job-schedulers";
import { triggerConnected } from "./data-changed";
import { emergencyStop, resumeAll, tellTerminalHold, type HoldDeps } from "./sync-holds";
import { serveTerminalSocket } from "./terminal-socket";
import { deliveryOptionsOf, terminalRoom, TriggerDelivery } from "./trigger-delivery";
import { TriggerStore, type SyncTrigger } from "./trigger-store";

/** What the hub reads and writes in PostgreSQL. */
export type HubStore = Pick<
  CentralStore,
  "terminals" | "history" | "feed" | "feedListener" | "sessions" | "control" | "runs" | "schedules" | "retention"
>;

export interface HubDeps {
  /** Parsed configuration; `config.hub` holds the tunables (tests' overrides already merged in). */
  config: CentralConfig;
  store: HubStore;
  redis: Redis;
  metrics: HubMetrics;
  log: Logger;
  /** Slows down repeated failed socket handshakes from one address. */
  throttle?: AuthThrottle;
  /** Terminal OFFLINE, backlog, scheduled run failed, emergency stop/resume. */
  alerts?: AlertSink;
}

/**
 * The real-time hub of SPEC §4: terminal sockets, trigger delivery, heartbeat sweep,
 * schedules, DATA_CHANGED, cleanup and emergency stop. Its state lives in Redis and
 * PostgreSQL, so any number of instances can run side by side.
 */
export class Hub {
  readonly io: HubServer;
  readonly schedules: ScheduleService;
  /** Sync runs with statistics (GET /api/sync/runs/:id). */
  readonly runs: SyncRuns;
  readonly instanceId = randomUUID();
  /** True when this instance began a new cluster life and so sent SERVER_RESTART triggers. */
  startedCluster = false;
  /** Settles once this instance knows whether it began a cluster life (`startedCluster`). */
  clusterJoined: Promise<boolean> = Promise.resolve(false);
  /** Told which terminals the heartbeat sweep just turned OFFLINE (the console's events). */
  onWentOffline?: (terminalIds: string[]) => void;
  /**
   * Told when a terminal's cursor was acknowledged over its socket, by `sync:cursor` or on its
   * `sync:ack` (the console's events, as for HTTP's 200).
   */
  onCursorAcked?: (terminalId: string) => void;
  /**
   * Feed pages answered once for the terminals of a round (feed/feed-page-cache.ts); the hub
   * hears when the feed may have grown, so it is the one to invalidate them.
   */
  readonly feedPages: FeedPageCache;
  /** `sync:pull`, answered once the app offers its pull (SocketPulls.offer). */
  readonly pulls: SocketPulls;
  private readonly triggers: TriggerStore;
  private readonly delivery: TriggerDelivery;
  private readonly jobs: Queue;
  private readonly jobWorker: Worker;
  private readonly presence: ClusterPresence;
  private readonly recovery: RedisRecovery;
  private readonly feed: FeedWatcher;
  private readonly sockets: SocketServerHandle;
  private readonly log: Logger;

  private constructor(
    private readonly deps: HubDeps,
    server: HttpServer,
  ) {
    const { config, store, redis, metrics } = deps;
    const t = config.hub;
    this.log = deps.log.child({ component: "hub" });
    this.feedPages = new FeedPageCache({ ttlMs: t.feedPageCacheMs });
    this.pulls = new SocketPulls({ terminals: store.terminals, enabled: t.pullOverSocket, log: this.log });
    const connection = bullConnection(config.REDIS_URL);
    const prefix = queuePrefix(config.REDIS_PREFIX);
    this.sockets = createSocketServer(server, {
      terminals: store.terminals,
      redisUrl: config.REDIS_URL,
      redisPrefix: config.REDIS_PREFIX,
      throttle: deps.throttle,
    });
    this.io = this.sockets.io;
    this.triggers = new TriggerStore(redis, t.deliveryClaimTtlMs, this.instanceId);
    this.delivery = new TriggerDelivery({
      connection,
      prefix,
      store: this.triggers,
      io: this.io,
      metrics,
      log: this.log,
      options: deliveryOptionsOf(t),
      onUndelivered: (id, reason) => this.runUndelivered(id, reason),
    });
    this.jobs = new Queue("hub", { connection, prefix });
    this.jobs.on("error", (err) => this.log.warn({ err }, "hub queue error"));
    this.jobWorker = this.hubWorker({ connection, prefix, concurrency: t.jobConcurrency });
    this.runs = new SyncRuns({
      runs: store.runs,
      terminals: store.terminals,
      jobs: this.jobs,
      redis,
      log: this.log,
      send: (ids, type, reason, timestamp) => this.triggerTerminals(ids, type, reason, timestamp),
    });
    this.schedules = new ScheduleService({
      redis,
      queue: this.jobs,
      runs: this.runs,
      store: store.schedules,
      runStore: store.runs,
    });
    this.presence = new ClusterPresence(redis, this.instanceId, {
      ttlMs: t.clusterTtlMs,
      refreshMs: t.clusterRefreshMs,
    });
    this.feed = this.feedWatcher();
    this.recovery = new RedisRecovery(redis, t.redisCheckMs, () => this.rebuildRedisState(), this.log);
    this.serveTerminalSockets();
  }

  /** Each terminal's socket as it connects (terminal-socket.ts). */
  private serveTerminalSockets(): void {
    const { config, store, metrics } = this.deps;
    const { delivery, runs, pulls, log } = this;
    const onCursorAcked = (id: string) => this.onCursorAcked?.(id);
    const deps = { config, store, metrics, log, delivery, runs, pulls, onCursorAcked };
    this.io.on("connection", (socket) => serveTerminalSocket(socket, deps));
  }

  /** DATA_CHANGED rounds; each feed notification also retires the cached pages. */
  private feedWatcher(): FeedWatcher {
    const { store, redis, config } = this.deps;
    return new FeedWatcher({
      store,
      redis,
      log: this.log,
      debounceMs: config.hub.feedDebounceMs,
      listen: feedListenOptions(config.hub),
      onChanged: (stores) => this.dataChanged(stores),
      onNotice: () => this.feedPages.invalidate(),
    });
  }

  /** A trigger stays pending but was not delivered now: the runs record it as the terminal's error. */
  private runUndelivered(terminalId: string, reason: string): void {
    void this.runs
      .onUndelivered(terminalId, reason)
      .catch((err: unknown) => this.log.warn({ err, terminalId }, "run update failed"));
  }

  /** The worker of the "hub" queue (sweep, schedules, runs, cleanup, restart round). */
  private hubWorker(opts: { connection: ConnectionOptions; prefix: string; concurrency: number }): Worker {
    const worker = new Worker("hub", (job: Job) => this.runJob(job), opts);
    worker.on("error", (err) => this.log.warn({ err }, "hub worker error"));
    worker.on("failed", (job, err) => this.log.error({ err, job: job?.name }, "hub job failed"));
    return worker;
  }

  static async start(deps: HubDeps, server: HttpServer): Promise<Hub> {
    const hub = new Hub(deps, server);
    await hub.boot();
    return hub;
  }

  private async boot(): Promise<void> {
    // The instance that announced a DATA_CHANGED round tells this one of it (dataChanged).
    this.io.on("data:changed", (stores, timestamp) => {
      this.dataChangedHere(stores, timestamp).catch((err: unknown) =>
        this.log.warn({ err }, "DATA_CHANGED round failed"),
      );
    });
    const { config } = this.deps;
    this.runs.onCompleted = (run) => {
      const alert = scheduledRunAlert(run);
      if (alert) this.deps.alerts?.raise(alert);
    };
    const t = config.hub;
    if (config.DEFAULT_SCHEDULE !== "off" && (await this.schedules.createDefault(config.DEFAULT_SCHEDULE)))
      this.log.info({ cron: config.DEFAULT_SCHEDULE }, "first start: default sync schedule created (DEFAULT_SCHEDULE)");
    await declareJobSchedulers(this.jobs, t, this.schedules);
    await this.feed.start();
    await this.runs.rearm();
    await this.recovery.start();
    // Not awaited: after a crash of every instance, telling a dead peer from a live one takes
    // up to one presence TTL, and central serves meanwhile.
    this.clusterJoined = this.joinCluster(Date.now());
    this.log.info({ heartbeatTimeoutS: config.HEARTBEAT_TIMEOUT_S }, "hub started");
  }

  /**
   * Joins the cluster; the instance that began a new life queues the SERVER_RESTART round
   * (once per life: the job id is the life's), `restartTriggerDelayMs` after its own start.
   */
  private async joinCluster(bootedAt: number): Promise<boolean> {
    const t = this.deps.config.hub;
    const first = await this.presence
      .join((err) => this.log.warn({ err }, "cluster presence: Redis unreachable; retrying"))
      .catch((err: unknown) => {
        this.log.error({ err }, "could not join the cluster presence: no SERVER_RESTART triggers");
        return false;
      });
    this.startedCluster = first;
    if (!first) {
      this.log.info({ instanceId: this.instanceId }, "joined a running cluster: no SERVER_RESTART triggers");
      return false;
    }
    await this.jobs.add(
      "server-restart",
      {},
      {
        delay: Math.max(0, t.restartTriggerDelayMs - (Date.now() - bootedAt)),
        jobId: `server-restart-${this.presence.lifeId ?? this.instanceId}`,
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
    this.log.info({ instanceId: this.instanceId }, "first instance of the cluster: SERVER_RESTART triggers follow");
    return true;
  }

  /** Redis came back without its data (issue 11 defect 6): what the hub keeps there, from PostgreSQL. */
  private async rebuildRedisState(): Promise<void> {
    await declareJobSchedulers(this.jobs, this.deps.config.hub, this.schedules);
    await this.runs.rearm();
    const resent = await this.runs.resendOpen();
    this.log.info({ resent }, "job schedulers re-created; triggers of open runs sent again");
  }

  private runJob(job: Job): Promise<unknown> {
    const { config, store, metrics, redis, alerts } = this.deps;
    return runHubJob(job, {
      config,
      store,
      metrics,
      redis,
      log: this.log,
      alerts,
      io: this.io,
      schedules: this.schedules,
      runs: this.runs,
      triggerActive: (type, reason) => this.triggerActive(type, reason),
      wentOffline: (ids) => this.onWentOffline?.(ids),
    });
  }

  /**
   * Queues a trigger for each terminal (one pending per terminal; merged when one waits).
   * `timestamp`: the triggers' own (a run's parts are matched to acks by it); now by default.
   */
  async triggerTerminals(
    ids: string[],
    type: SyncTrigger["type"],
    reason: SyncTrigger["reason"],
    timestamp = new Date().toISOString(),
  ): Promise<void> {
    const chunk = this.deps.config.hub.triggerChunk;
    const trigger = (id: string): SyncTrigger => ({
      type,
      terminalId: id as SyncTrigger["terminalId"],
      timestamp,
      reason,
    });
    for (let i = 0; i < ids.length; i += chunk) {
      await Promise.all(ids.slice(i, i + chunk).map((id) => this.delivery.send(trigger(id))));
    }
  }

  /** Every active (not disabled) terminal, optionally only those of some stores. */
  async triggerActive(
    type: SyncTrigger["type"],
    reason: SyncTrigger["reason"],
    storeIds?: string[],
  ): Promise<string[]> {
    const ids = await this.deps.store.terminals.activeIds(storeIds);
    await this.triggerTerminals(ids, type, reason);
    if (ids.length > 0) this.log.info({ count: ids.length, type, reason }, "sync triggers queued");
    return ids;
  }

  /**
   * DATA_CHANGED goes to connected terminals only: one that is offline pulls everything when
   * it comes back anyway, and queueing a trigger for each of them on every price change would
   * cost a job per offline terminal. The instance that announces the round tells the others
   * (one inter-server event), and each triggers the terminals connected to it, from its own
   * rooms and straight to their sockets (TriggerDelivery.sendDirect): no cluster-wide
   * fetchSockets, no job per terminal.
   */
  private async dataChanged(stores: Set<string | null>): Promise<void> {
    const timestamp = new Date().toISOString();
    this.io.serverSideEmit("data:changed", [...stores], timestamp);
    await this.dataChangedHere([...stores], timestamp);
  }

  /** DATA_CHANGED to the terminals connected to this instance whose scope holds one of `stores`. */
  private async dataChangedHere(stores: Array<string | null>, timestamp: string): Promise<void> {
    // Numbered on another instance, perhaps: the pulls these triggers cause read the new page.
    this.feedPages.invalidate();
    const { triggerChunk } = this.deps.config.hub;
    await triggerConnected({ io: this.io, delivery: this.delivery, triggerChunk, log: this.log }, stores, timestamp);
  }

  /**
   * Rotated-out keys that keep working until `at`: a delayed job in Redis (so whichever
   * instance is up then runs it, also after restarts) drops their sockets when they stop.
   */
  async expireKeys(keyIds: string[], at: Date): Promise<void> {
    if (keyIds.length === 0) return;
    await this.jobs.add(
      KEY_EXPIRY_JOB,
      { keyIds },
      { delay: Math.max(0, at.getTime() - Date.now()), removeOnComplete: true, removeOnFail: 100 },
    );
  }

  /** Disconnects every socket of a terminal, on every instance (disabled, or its key rotated). */
  async disconnectTerminal(terminalId: string, opts: { forgetTriggers?: boolean } = {}): Promise<void> {
    this.io.in(terminalRoom(terminalId)).disconnectSockets(true);
    if (opts.forgetTriggers) await this.triggers.forget(terminalId);
  }

  /** Central's emergency stop as PostgreSQL holds it (every instance reads the same). */
  emergencyState(): Promise<EmergencyState> {
    return this.deps.store.control.emergency();
  }

  /**
   * Stops sync of every terminal, also those connecting later, until resume() (sync-holds.ts):
   * stored in PostgreSQL first, then told to every socket of the cluster as the fast path.
   */
  emergencyStop(reason: string | undefined, by: Actor): Promise<EmergencyState> {
    return emergencyStop(this.holds, reason, by);
  }

  /** Lifts the emergency stop; terminals an operator paused one by one stay paused (sync-holds.ts). */
  resume(by: Actor): Promise<EmergencyState> {
    return resumeAll(this.holds, by);
  }

  /** An operator paused (or resumed) one terminal: its sockets hear it now, on any instance. */
  terminalPaused(id: string, pause: TerminalPause | null): Promise<void> {
    return tellTerminalHold(this.holds, id, pause);
  }

  private get holds(): HoldDeps {
    const { store, config, alerts } = this.deps;
    return { io: this.io, store, stoppedRetryAfterS: config.hub.stoppedRetryAfterS, log: this.log, alerts };
  }

  /** The hub's BullMQ queues and the alert webhook's (when ALERT_WEBHOOK_URL is set), for bull-board. */
  boardQueues(): Queue[] {
    return [this.delivery.queue, this.jobs, ...(this.deps.alerts?.queue ? [this.deps.alerts.queue] : [])];
  }

  /** BullMQ job counts per queue, for /metrics. */
  async queueCounts(): Promise<{ triggers: Record<string, number>; hub: Record<string, number> }> {
    return {
      triggers: await this.delivery.queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized"),
      hub: await this.jobs.getJobCounts("waiting", "active", "delayed", "failed", "prioritized"),
    };
  }

  async stop(): Promise<void> {
    this.recovery.stop();
    await this.feed.close();
    await this.presence.leave().catch(() => undefined);
    await this.clusterJoined.catch(() => undefined);
    await this.jobWorker.close(true);
    await this.delivery.close();
    await this.jobs.close();
    await this.sockets.close();
  }
}

/** The feed LISTEN connection's reconnect backoff and ping, from the hub's tunables. */
function feedListenOptions(t: HubDeps["config"]["hub"]) {
  return {
    reconnectMs: t.feedReconnectMs,
    reconnectMaxMs: t.feedReconnectMaxMs,
    pingMs: t.feedPingMs,
    pingTimeoutMs: t.feedPingTimeoutMs,
  };
}
