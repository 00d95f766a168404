import type { SyncRunStatus, SyncRunTerminal, SyncRunType } from "@tillsync/shared";
import type { Queryable } from "./transaction";

/** A run as stored, with its terminals' parts. */
export interface StoredRun {
  id: string;
  type: SyncRunType;
  syncType: "FULL" | "INCREMENTAL";
  scheduleId: string | null;
  requestedBy: string | null;
  status: SyncRunStatus;
  startedAt: string;
  completedAt: string | null;
  attempt: number;
  retries: number;
  attemptTimeoutS: number;
  terminals: SyncRunTerminal[];
}

export interface NewRun {
  type: SyncRunType;
  syncType: "FULL" | "INCREMENTAL";
  scheduleId?: string | null;
  requestedBy?: string | null;
  retries: number;
  attemptTimeoutS: number;
}

/** A run that has just completed. */
export interface CompletedRun {
  id: string;
  outcome: SyncRunStatus;
  type: SyncRunType;
  scheduleId: string | null;
}

/** A schedule's latest run, for GET /api/sync/schedules. */
export interface LastRun {
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: SyncRunStatus;
  error: string | null;
}

/**
 * sync_runs and sync_run_terminals: every run and each terminal's part of it. A part is
 * "open" while its run has not completed and it is not ACKED; acks, failures and the
 * terminal's pushes and pulls land on its open parts.
 */
export interface SyncRunStore {
  /** Records a run and a TRIGGERED part per terminal (before the triggers go out, so no ack is missed). */
  create(run: NewRun, terminalIds: string[], triggerAt: string): Promise<string>;
  get(id: string): Promise<StoredRun | undefined>;
  /** The terminal's open parts get these records added (a push applied, a page pulled). */
  addRecords(terminalId: string, counts: { pushed?: number; pulled?: number }): Promise<void>;
  /** The terminal acked a trigger (`at`: its timestamp; undefined covers every one): parts triggered no later are ACKED. Returns their runs. */
  acked(terminalId: string, at: string | undefined): Promise<string[]>;
  /** Its TRIGGERED parts are FAILED with `error` (not connected, no ack after every attempt). Returns their runs. */
  failed(terminalId: string, error: string): Promise<string[]>;
  /** End of an attempt: the run's parts still TRIGGERED are FAILED with `error`. */
  expireAttempt(runId: string, attempt: number, error: string): Promise<void>;
  /** Next attempt: FAILED parts back to TRIGGERED at `triggerAt`; returns their terminals (empty: no retry left or nothing failed). */
  retryFailed(runId: string, attempt: number, triggerAt: string): Promise<string[]>;
  /**
   * Completes the run when no part is TRIGGERED and either none FAILED or no retry is left
   * (`force`: the last attempt ended). Returns the outcome when this call completed it.
   */
  completeIfDone(runId: string, force?: boolean): Promise<CompletedRun | undefined>;
  /** Runs not completed yet (a restart or an emptied Redis re-arms their attempt timers). */
  open(): Promise<Array<{ id: string; attempt: number; attemptTimeoutS: number; attemptStartedAt: string }>>;
  /** The TRIGGERED parts of open runs, with their trigger (Redis lost its pending triggers: they are sent again). */
  openParts(): Promise<
    Array<{ terminalId: string; triggerAt: string; syncType: "FULL" | "INCREMENTAL"; type: SyncRunType }>
  >;
  /** The latest run of each schedule. */
  lastOfSchedules(scheduleIds: string[]): Promise<Map<string, LastRun>>;
  deleteOlderThan(days: number): Promise<number>;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** An open part: its run still running, and not acked. */
/** A terminal's part of a run not completed that it has not acked yet (store/pull-start.ts reads it too). */
export const OPEN_PART = `state <> 'ACKED'
  AND EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = sync_run_terminals.run_id AND r.completed_at IS NULL)`;

async function createRun(
  q: Queryable,
  run: NewRun,
  terminalIds: string[],
  triggerAt: string,
): ReturnType<SyncRunStore["create"]> {
  const { rows } = await q.query<{ id: string }>(
    `WITH r AS (
         INSERT INTO sync_runs (type, sync_type, schedule_id, requested_by, retries, attempt_timeout_s, attempt_started_at)
         VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING id)
       , parts AS (
         INSERT INTO sync_run_terminals (run_id, terminal_id, trigger_at)
         SELECT r.id, t, $8::timestamptz FROM r, unnest($7::uuid[]) AS t)
       SELECT id FROM r`,
    [
      run.type,
      run.syncType,
      run.scheduleId ?? null,
      run.requestedBy ?? null,
      run.retries,
      run.attemptTimeoutS,
      terminalIds,
      triggerAt,
    ],
  );
  return rows[0]!.id;
}

async function getRun(q: Queryable, id: string): ReturnType<SyncRunStore["get"]> {
  const { rows } = await q.query<{
    id: string;
    type: SyncRunType;
    sync_type: "FULL" | "INCREMENTAL";
    schedule_id: string | null;
    requested_by: string | null;
    outcome: SyncRunStatus;
    started_at: Date;
    completed_at: Date | null;
    attempt: number;
    retries: number;
    attempt_timeout_s: number;
  }>(`SELECT * FROM sync_runs WHERE id = $1`, [id]);
  const r = rows[0];
  if (!r) return undefined;
  const parts = await q.query<{
    terminal_id: string;
    state: SyncRunTerminal["state"];
    acked_at: Date | null;
    pushed: number;
    pulled: number;
    error: string | null;
  }>(
    `SELECT terminal_id, state, acked_at, pushed, pulled, error FROM sync_run_terminals
        WHERE run_id = $1 ORDER BY terminal_id`,
    [id],
  );
  return {
    id: r.id,
    type: r.type,
    syncType: r.sync_type,
    scheduleId: r.schedule_id,
    requestedBy: r.requested_by,
    status: r.outcome,
    startedAt: r.started_at.toISOString(),
    completedAt: iso(r.completed_at),
    attempt: r.attempt,
    retries: r.retries,
    attemptTimeoutS: r.attempt_timeout_s,
    terminals: parts.rows.map((p) => ({
      terminalId: p.terminal_id as SyncRunTerminal["terminalId"],
      state: p.state,
      ackedAt: iso(p.acked_at),
      pushed: p.pushed,
      pulled: p.pulled,
      error: p.error,
    })),
  };
}

async function addRecordsRun(
  q: Queryable,
  terminalId: string,
  { pushed = 0, pulled = 0 }: { pushed?: number; pulled?: number },
): ReturnType<SyncRunStore["addRecords"]> {
  if (pushed === 0 && pulled === 0) return;
  await q.query(
    `UPDATE sync_run_terminals SET pushed = pushed + $2, pulled = pulled + $3
        WHERE terminal_id = $1 AND ${OPEN_PART}`,
    [terminalId, pushed, pulled],
  );
}

async function ackedRun(q: Queryable, terminalId: string, at: string | undefined): ReturnType<SyncRunStore["acked"]> {
  const { rows } = await q.query<{ run_id: string }>(
    `UPDATE sync_run_terminals SET state = 'ACKED', acked_at = now(), error = NULL
        WHERE terminal_id = $1 AND ${OPEN_PART} AND ($2::timestamptz IS NULL OR trigger_at <= $2::timestamptz)
        RETURNING run_id`,
    [terminalId, at ?? null],
  );
  return rows.map((r) => r.run_id);
}

async function failedRun(q: Queryable, terminalId: string, error: string): ReturnType<SyncRunStore["failed"]> {
  const { rows } = await q.query<{ run_id: string }>(
    `UPDATE sync_run_terminals SET state = 'FAILED', error = $2
        WHERE terminal_id = $1 AND state = 'TRIGGERED' AND ${OPEN_PART} RETURNING run_id`,
    [terminalId, error],
  );
  return rows.map((r) => r.run_id);
}

async function expireAttemptRun(
  q: Queryable,
  runId: string,
  attempt: number,
  error: string,
): ReturnType<SyncRunStore["expireAttempt"]> {
  await q.query(
    `UPDATE sync_run_terminals p SET state = 'FAILED', error = $3
         FROM sync_runs r
        WHERE p.run_id = $1 AND r.id = p.run_id AND r.attempt = $2 AND r.completed_at IS NULL AND p.state = 'TRIGGERED'`,
    [runId, attempt, error],
  );
}

async function retryFailedRun(
  q: Queryable,
  runId: string,
  attempt: number,
  triggerAt: string,
): ReturnType<SyncRunStore["retryFailed"]> {
  // The attempt moves on only from the one that ended (two instances checking at once retry once).
  const bumped = await q.query(
    `UPDATE sync_runs SET attempt = attempt + 1, attempt_started_at = now()
        WHERE id = $1 AND attempt = $2 AND attempt <= retries AND completed_at IS NULL
          AND EXISTS (SELECT 1 FROM sync_run_terminals WHERE run_id = $1 AND state = 'FAILED')`,
    [runId, attempt],
  );
  if (bumped.rowCount === 0) return [];
  const { rows } = await q.query<{ terminal_id: string }>(
    `UPDATE sync_run_terminals SET state = 'TRIGGERED', trigger_at = $2::timestamptz
        WHERE run_id = $1 AND state = 'FAILED' RETURNING terminal_id`,
    [runId, triggerAt],
  );
  return rows.map((r) => r.terminal_id);
}

async function completeIfDoneRun(
  q: Queryable,
  runId: string,
  force = false,
): ReturnType<SyncRunStore["completeIfDone"]> {
  const { rows } = await q.query<{ outcome: SyncRunStatus; type: SyncRunType; schedule_id: string | null }>(
    `WITH c AS (
         SELECT count(*) FILTER (WHERE state = 'TRIGGERED') AS triggered,
                count(*) FILTER (WHERE state = 'FAILED') AS failed,
                count(*) FILTER (WHERE state = 'ACKED') AS acked
           FROM sync_run_terminals WHERE run_id = $1)
       UPDATE sync_runs r SET completed_at = now(),
              outcome = CASE WHEN c.failed = 0 AND c.triggered = 0 THEN 'SUCCESS'
                             WHEN c.acked = 0 THEN 'FAILED' ELSE 'PARTIAL' END
         FROM c
        WHERE r.id = $1 AND r.completed_at IS NULL
          AND ($2 OR (c.triggered = 0 AND (c.failed = 0 OR r.attempt > r.retries)))
        RETURNING r.outcome, r.type, r.schedule_id`,
    [runId, force],
  );
  const r = rows[0];
  return r && { id: runId, outcome: r.outcome, type: r.type, scheduleId: r.schedule_id };
}

async function openRun(q: Queryable): ReturnType<SyncRunStore["open"]> {
  const { rows } = await q.query<{
    id: string;
    attempt: number;
    attempt_timeout_s: number;
    attempt_started_at: Date;
  }>(`SELECT id, attempt, attempt_timeout_s, attempt_started_at FROM sync_runs WHERE completed_at IS NULL`);
  return rows.map((r) => ({
    id: r.id,
    attempt: r.attempt,
    attemptTimeoutS: r.attempt_timeout_s,
    attemptStartedAt: r.attempt_started_at.toISOString(),
  }));
}

async function lastOfSchedulesRun(q: Queryable, scheduleIds: string[]): ReturnType<SyncRunStore["lastOfSchedules"]> {
  const { rows } = await q.query<{
    schedule_id: string;
    id: string;
    started_at: Date;
    completed_at: Date | null;
    outcome: SyncRunStatus;
    error: string | null;
  }>(
    `SELECT DISTINCT ON (r.schedule_id) r.schedule_id, r.id, r.started_at, r.completed_at, r.outcome,
              (SELECT p.error FROM sync_run_terminals p WHERE p.run_id = r.id AND p.error IS NOT NULL LIMIT 1) AS error
         FROM sync_runs r WHERE r.schedule_id = ANY($1::text[])
        ORDER BY r.schedule_id, r.started_at DESC, r.id DESC`,
    [scheduleIds],
  );
  return new Map(
    rows.map((r) => [
      r.schedule_id,
      {
        runId: r.id,
        startedAt: r.started_at.toISOString(),
        finishedAt: iso(r.completed_at),
        outcome: r.outcome,
        error: r.error,
      },
    ]),
  );
}

async function deleteOlderThanRun(q: Queryable, days: number): ReturnType<SyncRunStore["deleteOlderThan"]> {
  const r = await q.query(`DELETE FROM sync_runs WHERE started_at < now() - make_interval(days => $1)`, [days]);
  return r.rowCount ?? 0;
}

async function openPartsRun(q: Queryable): ReturnType<SyncRunStore["openParts"]> {
  const { rows } = await q.query<{
    terminal_id: string;
    trigger_at: Date;
    sync_type: "FULL" | "INCREMENTAL";
    type: SyncRunType;
  }>(
    `SELECT p.terminal_id, p.trigger_at, r.sync_type, r.type FROM sync_run_terminals p JOIN sync_runs r ON r.id = p.run_id
      WHERE r.completed_at IS NULL AND p.state = 'TRIGGERED' ORDER BY p.trigger_at`,
  );
  return rows.map((r) => ({
    terminalId: r.terminal_id,
    triggerAt: r.trigger_at.toISOString(),
    syncType: r.sync_type,
    type: r.type,
  }));
}

export function syncRunStore(q: Queryable): SyncRunStore {
  return {
    create: (run, terminalIds, triggerAt) => createRun(q, run, terminalIds, triggerAt),
    get: (id) => getRun(q, id),
    addRecords: (terminalId, counts) => addRecordsRun(q, terminalId, counts),
    acked: (terminalId, at) => ackedRun(q, terminalId, at),
    failed: (terminalId, error) => failedRun(q, terminalId, error),
    expireAttempt: (runId, attempt, error) => expireAttemptRun(q, runId, attempt, error),
    retryFailed: (runId, attempt, triggerAt) => retryFailedRun(q, runId, attempt, triggerAt),
    completeIfDone: (runId, force) => completeIfDoneRun(q, runId, force),
    open: () => openRun(q),
    openParts: () => openPartsRun(q),
    lastOfSchedules: (scheduleIds) => lastOfSchedulesRun(q, scheduleIds),
    deleteOlderThan: (days) => deleteOlderThanRun(q, days),
  };
}
