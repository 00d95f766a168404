import { randomUUID } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { socketEvents, type EmergencyState, type SocketPayload } from "@tillsync/shared";
import type { CentralConfig } from "../config";
import type { Logger } from "../observability/logger";
import type { HubMetrics } from "../observability/metrics";
import type { CentralStore } from "../store/central-store";
import { bullConnection, queuePrefix } from "./bull-connection";
import { ClusterPresence } from "./cluster-presence";
import { compactFeedAndExpireHistory } from "./feed-compaction-and-retention";
import { FeedWatcher } from "./feed-watcher";
import { sweepHeartbeats } from "./heartbeat-sweep";
import { SCHEDULED_SYNC_JOB, ScheduleService } from "./schedules";
import { createSocketServer, type HubServer, type HubSocket, type SocketServerHandle } from "./socket-server";
import { storeRoom, terminalRoom, TriggerDelivery } from "./trigger-delivery";
import { TriggerStore, type SyncTrigger } from "./trigger-store";

/** What the hub reads and writes in PostgreSQL. */
export type HubStore = Pick<CentralStore, "terminals" | "history" | "feed" | "feedListener" | "sessions">;

export interface HubDeps {
  /** Parsed configuration; `config.hub` holds the tunables (tests' overrides already merged in). */
  config: CentralConfig;
  store: HubStore;
  redis: Redis;
  metrics: HubMetrics;
  log: Logger;
}

const EMERGENCY_KEY = "hub:emergency-stop";

/**
 * The real-time hub of SPEC §4: terminal sockets, trigger delivery, heartbeat sweep,
 * schedules, DATA_CHANGED, cleanup and emergency stop. Its state lives in Redis and
 * PostgreSQL, so any number of instances can run side by side.
 */
export class Hub {
  readonly io: HubServer;
  readonly schedules: ScheduleService;
  readonly instanceId = randomUUID();
  /** True when this instance began a new cluster life and so sent SERVER_RESTART triggers. */
  startedCluster = false;
  /** Told which terminals the heartbeat sweep just turned OFFLINE (the console's events). */
  onWentOffline?: (terminalIds: string[]) => void;
  private readonly triggers: TriggerStore;
  private readonly delivery: TriggerDelivery;
  private readonly jobs: Queue;
  private readonly jobWorker: Worker;
  private readonly presence: ClusterPresence;
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
    const connection = bullConnection(config.REDIS_URL);
    const prefix = queuePrefix(config.REDIS_PREFIX);
    this.sockets = createSocketServer(server, {
      terminals: store.terminals,
      redisUrl: config.REDIS_URL,
      redisPrefix: config.REDIS_PREFIX,
    });
    this.io = this.sockets.io;
    this.triggers = new TriggerStore(redis, t.deliveryClaimTtlMs);
    this.delivery = new TriggerDelivery({
      connection,
      prefix,
      store: this.triggers,
      io: this.io,
      metrics,
      log: this.log,
      options: {
        ackTimeoutMs: t.ackTimeoutMs,
        attempts: t.deliveryAttempts,
        backoffMs: t.deliveryBackoffMs,
        concurrency: t.deliveryConcurrency,
        ackPollMs: t.ackPollMs,
      },
    });
    this.jobs = new Queue("hub", { connection, prefix });
    this.jobs.on("error", (err) => this.log.warn({ err }, "hub queue error"));
    this.jobWorker = new Worker("hub", (job: Job) => this.runJob(job), {
      connection,
      prefix,
      concurrency: t.jobConcurrency,
    });
    this.jobWorker.on("error", (err) => this.log.warn({ err }, "hub worker error"));
    this.jobWorker.on("failed", (job, err) => this.log.error({ err, job: job?.name }, "hub job failed"));
    this.schedules = new ScheduleService(redis, this.jobs, () => this.triggerActive("FULL", "SCHEDULED"));
    this.presence = new ClusterPresence(redis, this.instanceId, {
      ttlMs: t.clusterTtlMs,
      refreshMs: t.clusterRefreshMs,
    });
    this.feed = new FeedWatcher({
      store,
      redis,
      log: this.log,
      debounceMs: t.feedDebounceMs,
      reconnectMs: t.feedReconnectMs,
      onChanged: (stores) => this.dataChanged(stores),
    });
    this.io.on("connection", (socket) => this.onConnection(socket));
  }

  static async start(deps: HubDeps, server: HttpServer): Promise<Hub> {
    const hub = new Hub(deps, server);
    await hub.boot();
    return hub;
  }

  private async boot(): Promise<void> {
    const { config } = this.deps;
    const t = config.hub;
    // Job schedulers are idempotent upserts: every instance declares them, one job runs per tick.
    await this.jobs.upsertJobScheduler("heartbeat-sweep", { every: t.sweepEveryMs }, { name: "heartbeat-sweep" });
    // "cleanup": the job's name in Redis since the first version; renaming it would leave the
    // old scheduler running beside the new one in an upgraded cluster.
    await this.jobs.upsertJobScheduler("cleanup", { pattern: t.cleanupCron, tz: "UTC" }, { name: "cleanup" });
    await this.feed.start();
    this.startedCluster = await this.presence.join();
    if (this.startedCluster) {
      await this.jobs.add(
        "server-restart",
        {},
        {
          delay: t.restartTriggerDelayMs,
          jobId: `server-restart-${this.instanceId}`,
          removeOnComplete: true,
          removeOnFail: true,
        },
      );
      this.log.info({ instanceId: this.instanceId }, "first instance of the cluster: SERVER_RESTART triggers follow");
    } else {
      this.log.info({ instanceId: this.instanceId }, "joined a running cluster: no SERVER_RESTART triggers");
    }
    this.log.info({ heartbeatTimeoutS: config.HEARTBEAT_TIMEOUT_S }, "hub started");
  }

  private async runJob(job: Job): Promise<unknown> {
    const { config, store, metrics, redis } = this.deps;
    const t = config.hub;
    metrics.jobRuns.inc({ job: job.name });
    switch (job.name) {
      case "server-restart":
        return (await this.triggerActive("FULL", "SERVER_RESTART")).length;
      case "heartbeat-sweep": {
        const offline = await sweepHeartbeats(
          store,
          {
            timeoutS: config.HEARTBEAT_TIMEOUT_S,
            backlogAlertPending: t.backlogAlertPending,
            backlogAlertFailed: t.backlogAlertFailed,
          },
          this.log,
          async (id) =>
            // At most one backlog alert per terminal per backlogAlertEveryMs, cluster-wide.
            (await redis.set(`hub:alerted:${id}`, "1", "PX", t.backlogAlertEveryMs, "NX")) === "OK",
        );
        if (offline.length) this.onWentOffline?.(offline);
        return offline;
      }
      case SCHEDULED_SYNC_JOB:
        return (await this.triggerActive("FULL", "SCHEDULED")).length;
      case "cleanup":
        return compactFeedAndExpireHistory(store, { historyDays: config.HISTORY_RETENTION_DAYS });
      default:
        throw new Error(`unknown hub job ${job.name}`);
    }
  }

  private onConnection(socket: HubSocket): void {
    const t = socket.data.terminal;
    void socket.join([terminalRoom(t.id), storeRoom(t.storeId)]);
    this.deps.metrics.connectedTerminals.inc();
    socket.on("disconnect", () => this.deps.metrics.connectedTerminals.dec());
    socket.on("terminal:register", (raw) => {
      const p = socketEvents["terminal:register"].safeParse(raw);
      if (!p.success || p.data.terminalId !== t.id) {
        this.log.warn({ terminalId: t.id }, "terminal:register for another terminal; disconnecting");
        socket.disconnect(true);
        return;
      }
      void this.onRegister(socket).catch((err: unknown) => this.log.warn({ err, terminalId: t.id }, "register failed"));
    });
    socket.on("sync:ack", (raw) => {
      const p = socketEvents["sync:ack"].safeParse(raw);
      if (!p.success || p.data.terminalId !== t.id) return;
      this.deps.metrics.triggersAcked.inc();
      void this.delivery
        .onAck(t.id, p.data.timestamp)
        .catch((err: unknown) => this.log.warn({ err, terminalId: t.id }, "ack failed"));
    });
  }

  /** A terminal that (re)connects learns the emergency state and gets its pending trigger. */
  private async onRegister(socket: HubSocket): Promise<void> {
    const state = await this.emergencyState();
    if (state.stopped) socket.emit("sync:pause", { reason: state.reason ?? "EMERGENCY_STOP" });
    else socket.emit("sync:resume", {});
    await this.delivery.onRegister(socket.data.terminal.id);
  }

  private trigger(terminalId: string, type: SyncTrigger["type"], reason: SyncTrigger["reason"]): SyncTrigger {
    return { type, terminalId: terminalId as SyncTrigger["terminalId"], timestamp: new Date().toISOString(), reason };
  }

  /** Queues a trigger for each terminal (one pending per terminal; merged when one waits). */
  async triggerTerminals(ids: string[], type: SyncTrigger["type"], reason: SyncTrigger["reason"]): Promise<void> {
    const chunk = this.deps.config.hub.triggerChunk;
    for (let i = 0; i < ids.length; i += chunk) {
      await Promise.all(ids.slice(i, i + chunk).map((id) => this.delivery.send(this.trigger(id, type, reason))));
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
   * cost a job per offline terminal. One cluster-wide fetchSockets per round finds them.
   */
  private async dataChanged(stores: Set<string | null>): Promise<void> {
    const rooms = stores.has(null) ? undefined : [...stores].filter((s): s is string => s !== null).map(storeRoom);
    const sockets = rooms ? await this.io.in(rooms).fetchSockets() : await this.io.fetchSockets();
    const ids = [...new Set(sockets.map((s) => s.data.terminal.id))];
    if (ids.length === 0) return;
    await this.triggerTerminals(ids, "INCREMENTAL", "DATA_CHANGED");
    this.log.debug({ count: ids.length }, "DATA_CHANGED triggers queued");
  }

  /** Disconnects every socket of a terminal, on every instance (disabled, or its key rotated). */
  async disconnectTerminal(terminalId: string, opts: { forgetTriggers?: boolean } = {}): Promise<void> {
    this.io.in(terminalRoom(terminalId)).disconnectSockets(true);
    if (opts.forgetTriggers) await this.triggers.forget(terminalId);
  }

  async emergencyState(): Promise<EmergencyState> {
    const raw = await this.deps.redis.get(EMERGENCY_KEY);
    if (!raw) return { stopped: false, since: null, reason: null };
    const v = JSON.parse(raw) as { since: string; reason: string | null };
    return { stopped: true, since: v.since, reason: v.reason };
  }

  /** Pauses every terminal, also those connecting later, until resume(). */
  async emergencyStop(reason: string | undefined): Promise<EmergencyState> {
    const since = new Date().toISOString();
    await this.deps.redis.set(EMERGENCY_KEY, JSON.stringify({ since, reason: reason ?? null }));
    await this.deps.store.terminals.pauseActive();
    const payload: SocketPayload<"sync:pause"> = { reason: reason ?? "EMERGENCY_STOP" };
    this.io.emit("sync:pause", payload);
    this.log.warn({ reason }, "EMERGENCY STOP: every terminal paused");
    return this.emergencyState();
  }

  async resume(): Promise<EmergencyState> {
    await this.deps.redis.del(EMERGENCY_KEY);
    await this.deps.store.terminals.unpauseAll();
    this.io.emit("sync:resume", {});
    this.log.warn("emergency stop lifted: terminals resume");
    return this.emergencyState();
  }

  /** The hub's BullMQ queues, for bull-board. */
  boardQueues(): Queue[] {
    return [this.delivery.queue, this.jobs];
  }

  /** BullMQ job counts per queue, for /metrics. */
  async queueCounts(): Promise<{ triggers: Record<string, number>; hub: Record<string, number> }> {
    return {
      triggers: await this.delivery.queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized"),
      hub: await this.jobs.getJobCounts("waiting", "active", "delayed", "failed", "prioritized"),
    };
  }

  async stop(): Promise<void> {
    await this.feed.close();
    await this.presence.leave().catch(() => undefined);
    await this.jobWorker.close(true);
    await this.delivery.close();
    await this.jobs.close();
    await this.sockets.close();
  }
}
