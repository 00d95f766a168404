import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { SyncRunType } from "@tillsync/shared";
import type { Logger } from "../observability/logger";
import type { CompletedRun, SyncRunStore } from "../store/sync-runs";
import type { TerminalQueries } from "../store/terminals";
import type { SyncTrigger } from "./trigger-store";

/** The hub job that ends one attempt of a run (delayed by its attempt timeout). */
export const RUN_CHECK_JOB = "run-check";

export interface RunRequest {
  type: SyncRunType;
  syncType: SyncTrigger["type"];
  /** The terminals to sync; every active one when absent. */
  terminalIds?: string[];
  scheduleId?: string | null;
  requestedBy?: string | null;
  /** Attempts after the first for the terminals that did not ack. */
  retries: number;
  attemptTimeoutS: number;
}

/** Sends one trigger per terminal, all with the same timestamp (the run's parts carry it). */
export type SendTriggers = (
  ids: string[],
  type: SyncTrigger["type"],
  reason: SyncTrigger["reason"],
  timestamp: string,
) => Promise<void>;

const reasonOf = (type: SyncRunType): SyncTrigger["reason"] => (type === "SCHEDULED" ? "SCHEDULED" : "MANUAL");
const checkJobId = (runId: string, attempt: number) => `run-check-${runId}-${attempt}`;

/**
 * The runs not completed, in Redis so every instance sees them (through the client's
 * keyPrefix): a sorted set of run ids, each scored with the time until which its acks may come
 * (its attempt's timer plus OPEN_RUN_SLACK_MS, pushed on at every attempt). Only a guard
 * against work: an ack or a failed delivery looks for run parts in PostgreSQL only while some
 * run is open. A price change to 1,000 tills brought 1,000 acks, each an UPDATE of
 * sync_run_terminals that found nothing when no run was open (most of the time). An id left
 * behind (an instance that died between completing its run and removing it) only costs those
 * UPDATEs again until its score passes; one lost with Redis' data comes back with rearm().
 */
export const OPEN_RUNS_KEY = "hub:runs:open";
/** How long after an attempt's timer a run still counts as open: a late check job, clocks apart. */
export const OPEN_RUN_SLACK_MS = 10 * 60_000;

/**
 * Sync runs with statistics (SPEC §4 `GET /api/sync/runs/:id`). A run is recorded in
 * PostgreSQL before its triggers go out; the terminals' acks, failed deliveries, pushes and
 * pulls land on its parts; a delayed hub job ends each attempt after its timeout, retrying the
 * terminals that did not ack while retries are left. Any instance may run any step: every
 * transition is one conditional UPDATE, so two instances doing the same step do it once.
 */
export class SyncRuns {
  /** Told when a run completes (alerts: a scheduled run that failed). */
  onCompleted?: (run: CompletedRun) => void;

  constructor(
    private readonly deps: {
      runs: SyncRunStore;
      terminals: Pick<TerminalQueries, "activeIds">;
      jobs: Queue;
      redis: Pick<Redis, "zadd" | "zrem" | "zcount" | "zremrangebyscore">;
      send: SendTriggers;
      log: Logger;
    },
  ) {}

  /** Records the run, arms its first attempt's timer and sends the triggers; returns its id. */
  async start(req: RunRequest): Promise<string> {
    const ids = req.terminalIds ?? (await this.deps.terminals.activeIds());
    const at = new Date().toISOString();
    const id = await this.deps.runs.create(req, ids, at);
    await this.armCheck(id, 1, req.attemptTimeoutS * 1000);
    await this.deps.send(ids, req.syncType, reasonOf(req.type), at);
    this.deps.log.info({ runId: id, type: req.type, terminals: ids.length }, "sync run started");
    await this.settle(id);
    return id;
  }

  /**
   * A terminal acked a trigger: its parts triggered no later are done. `runsOpen`: whether any
   * run was open at the ack (the trigger store's ack script reads it); without it, Redis is asked.
   */
  async onAck(terminalId: string, timestamp: string | undefined, runsOpen?: boolean): Promise<void> {
    if (!(runsOpen ?? (await this.anyOpen()))) return;
    for (const runId of await this.deps.runs.acked(terminalId, timestamp)) await this.settle(runId);
  }

  /** A trigger could not be delivered (not connected, or no ack after every emit). */
  async onUndelivered(terminalId: string, error: string): Promise<void> {
    if (!(await this.anyOpen())) return;
    for (const runId of await this.deps.runs.failed(terminalId, error)) await this.settle(runId);
  }

  /** The timer of `attempt` fired: what did not ack failed; retry those while retries are left. */
  async check(runId: string, attempt: number): Promise<void> {
    const run = await this.deps.runs.get(runId);
    if (!run || run.completedAt || run.attempt !== attempt) return;
    await this.deps.runs.expireAttempt(runId, attempt, `no sync:ack within ${run.attemptTimeoutS} s`);
    const at = new Date().toISOString();
    const again = await this.deps.runs.retryFailed(runId, attempt, at);
    if (again.length === 0) return this.settle(runId, true);
    await this.armCheck(runId, attempt + 1, run.attemptTimeoutS * 1000);
    this.deps.log.warn({ runId, attempt: attempt + 1, terminals: again.length }, "sync run: retrying terminals");
    await this.deps.send(again, run.syncType, reasonOf(run.type), at);
  }

  /**
   * Re-arms the attempt timers of every open run (delayed jobs live in Redis: after Redis came
   * back empty, or a cluster start, a run must still end). jobIds make it idempotent. Each one
   * is marked open again on the way (armCheck), and ids whose time has passed are dropped.
   */
  async rearm(): Promise<number> {
    await this.deps.redis.zremrangebyscore(OPEN_RUNS_KEY, "-inf", Date.now());
    const open = await this.deps.runs.open();
    for (const r of open) {
      const due = new Date(r.attemptStartedAt).getTime() + r.attemptTimeoutS * 1000 - Date.now();
      await this.armCheck(r.id, r.attempt, Math.max(0, due));
    }
    return open.length;
  }

  /**
   * Redis lost the pending triggers: the parts still waiting for an ack get theirs again, with
   * their own timestamp (so an ack of the original still completes them). One pending trigger
   * per terminal whatever the number of runs: TriggerStore merges them.
   */
  async resendOpen(): Promise<number> {
    const parts = await this.deps.runs.openParts();
    for (const p of parts) await this.deps.send([p.terminalId], p.syncType, reasonOf(p.type), p.triggerAt);
    return parts.length;
  }

  /**
   * Arms the timer that ends the attempt, after marking the run open until then (start() and
   * check() arm before they send: no ack of the attempt can come before its run is marked).
   */
  private async armCheck(runId: string, attempt: number, delayMs: number): Promise<void> {
    await this.deps.redis.zadd(OPEN_RUNS_KEY, Date.now() + delayMs + OPEN_RUN_SLACK_MS, runId);
    await this.deps.jobs.add(
      RUN_CHECK_JOB,
      { runId, attempt },
      { delay: delayMs, jobId: checkJobId(runId, attempt), removeOnComplete: true, removeOnFail: 100 },
    );
  }

  /** Whether any run is open (OPEN_RUNS_KEY): one Redis read instead of an UPDATE per ack. */
  private async anyOpen(): Promise<boolean> {
    return (await this.deps.redis.zcount(OPEN_RUNS_KEY, Date.now(), "+inf")) > 0;
  }

  private async settle(runId: string, force = false): Promise<void> {
    const done = await this.deps.runs.completeIfDone(runId, force);
    if (!done) return;
    await this.deps.redis.zrem(OPEN_RUNS_KEY, runId);
    this.deps.log.info({ runId, outcome: done.outcome }, "sync run completed");
    this.onCompleted?.(done);
  }
}
