import type { Pool } from "pg";
import { NotFoundError, StateConflictError, type EmergencyState, type TerminalPause } from "@tillsync/shared";
import { withTransaction, type Queryable } from "./transaction";

/**
 * What holds sync at central, in PostgreSQL: the central-wide emergency stop (one row of
 * emergency_stop) and an operator's pause of one terminal (terminals.paused*). Kept here, not
 * in Redis, so a stop survives restarts of Redis and of central and every instance reads the
 * same one.
 *
 * Pushes read it inside their own transaction after taking a shared advisory lock, and a
 * stop, resume or pause takes the same lock exclusively: the stop's answer waits for the
 * pushes already past the check, and every push after it sees the stop. So once
 * `POST /api/sync/emergency-stop` has answered, no push lands until resume.
 */
const SYNC_GATE_LOCK = 7_270_736_903;

/** What holds one terminal's sync right now. */
export interface SyncHold {
  emergency: EmergencyState;
  /** An operator's pause of this terminal, or null. */
  pause: TerminalPause | null;
}

export interface EmergencyRow {
  stopped: boolean;
  since: Date | null;
  reason: string | null;
  stopped_by: string | null;
  resumed_at: Date | null;
  resumed_by: string | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

function toEmergency(r: EmergencyRow | undefined): EmergencyState {
  if (!r) return { stopped: false, since: null, reason: null, by: null, resumedAt: null, resumedBy: null };
  if (r.stopped)
    return { stopped: true, since: iso(r.since), reason: r.reason, by: r.stopped_by, resumedAt: null, resumedBy: null };
  return {
    stopped: false,
    since: null,
    reason: null,
    // After a resume, `by` names who resumed (the console's EmergencyState contract).
    by: r.resumed_by,
    resumedAt: iso(r.resumed_at),
    resumedBy: r.resumed_by,
  };
}

const EMERGENCY_COLUMNS = `stopped, since, reason, stopped_by, resumed_at, resumed_by`;

/** The row of HOLD_COLUMNS: the emergency stop's columns (null when its row is missing) and the pause's. */
export type HoldRow = Omit<EmergencyRow, "stopped"> & {
  stopped: boolean | null;
  t_paused: boolean | null;
  t_reason: string | null;
  t_at: Date | null;
  t_by: string | null;
};

/**
 * A terminal's hold as columns of one row, for a statement that reads it with other things
 * (store/pull-start.ts): select HOLD_COLUMNS from a one-row source with HOLD_JOINS, the
 * terminal's id as $1.
 */
export const HOLD_COLUMNS = `e.stopped, e.since, e.reason, e.stopped_by, e.resumed_at, e.resumed_by,
    t.paused AS t_paused, t.paused_reason AS t_reason, t.paused_at AS t_at, t.paused_by AS t_by`;
export const HOLD_JOINS = `LEFT JOIN emergency_stop e ON e.id = 1 LEFT JOIN terminals t ON t.id = $1`;

export function holdFromRow(r: HoldRow): SyncHold {
  return {
    emergency: toEmergency(r.stopped === null ? undefined : (r as EmergencyRow)),
    pause: r.t_paused ? { reason: r.t_reason, since: iso(r.t_at), by: r.t_by } : null,
  };
}

/** Reads, usable on the pool or inside a transaction. */
export interface SyncControlQueries {
  emergency(): Promise<EmergencyState>;
  /** The stop and this terminal's pause as committed now (for a pull). */
  holdOf(terminalId: string): Promise<SyncHold>;
  /**
   * Inside a push's transaction: waits for a stop or pause being set right now to commit,
   * then reads (see the module comment). The shared lock is held until the transaction ends.
   */
  gate(terminalId: string): Promise<SyncHold>;
}

export function syncControlQueries(q: Queryable): SyncControlQueries {
  const holdOf = async (terminalId: string): Promise<SyncHold> => {
    const { rows } = await q.query<HoldRow>(`SELECT ${HOLD_COLUMNS} FROM (SELECT 1) one ${HOLD_JOINS}`, [terminalId]);
    return holdFromRow(rows[0]!);
  };
  return {
    async emergency() {
      const { rows } = await q.query<EmergencyRow>(`SELECT ${EMERGENCY_COLUMNS} FROM emergency_stop WHERE id = 1`);
      return toEmergency(rows[0]);
    },
    holdOf,
    async gate(terminalId) {
      await q.query(`SELECT pg_advisory_xact_lock_shared($1)`, [SYNC_GATE_LOCK]);
      // A statement of its own: its snapshot is taken after the lock, so it sees a stop that
      // committed while this transaction waited.
      return holdOf(terminalId);
    },
  };
}

/** Who did it, as recorded (an operator's name). */
export interface Actor {
  name: string;
}

/** The writes, each in its own transaction holding the gate's lock exclusively. */
export interface SyncControlAdmin {
  stop(reason: string | null, by: Actor): Promise<EmergencyState>;
  resume(by: Actor): Promise<EmergencyState>;
  /** Pauses one terminal; 404 when it does not exist, 409 when it is disabled. */
  pauseTerminal(id: string, reason: string | null, by: Actor): Promise<{ status: string; paused: true }>;
  resumeTerminal(id: string): Promise<{ status: string; paused: false }>;
}

export function syncControlAdmin(pool: Pool): SyncControlAdmin {
  const exclusive = <T>(fn: (q: Queryable) => Promise<T>) =>
    withTransaction(pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock($1)`, [SYNC_GATE_LOCK]);
      return fn(c);
    });
  return {
    stop: (reason, by) =>
      exclusive(async (q) => {
        // A stop already in force keeps its time and author; a new reason replaces the old.
        const { rows } = await q.query<EmergencyRow>(
          `INSERT INTO emergency_stop (id, stopped, since, reason, stopped_by) VALUES (1, true, now(), $1, $2)
           ON CONFLICT (id) DO UPDATE SET stopped = true,
             since = CASE WHEN emergency_stop.stopped THEN emergency_stop.since ELSE now() END,
             stopped_by = CASE WHEN emergency_stop.stopped THEN emergency_stop.stopped_by ELSE excluded.stopped_by END,
             reason = excluded.reason, resumed_at = NULL, resumed_by = NULL
           RETURNING ${EMERGENCY_COLUMNS}`,
          [reason, by.name],
        );
        return toEmergency(rows[0]);
      }),
    resume: (by) =>
      exclusive(async (q) => {
        const { rows } = await q.query<EmergencyRow>(
          `INSERT INTO emergency_stop (id, stopped, resumed_at, resumed_by) VALUES (1, false, now(), $1)
           ON CONFLICT (id) DO UPDATE SET stopped = false, since = NULL, reason = NULL, stopped_by = NULL,
             resumed_at = now(), resumed_by = excluded.resumed_by
           RETURNING ${EMERGENCY_COLUMNS}`,
          [by.name],
        );
        return toEmergency(rows[0]);
      }),
    pauseTerminal: (id, reason, by) =>
      exclusive(async (q) => {
        const status = await statusOf(q, id);
        if (status === "DISABLED") throw new StateConflictError(`terminal ${id} is disabled; enable it before pausing`);
        await q.query(
          `UPDATE terminals SET paused = true, paused_reason = $2, paused_by = $3,
                  paused_at = CASE WHEN paused THEN paused_at ELSE now() END
            WHERE id = $1`,
          [id, reason, by.name],
        );
        return { status, paused: true as const };
      }),
    resumeTerminal: (id) =>
      exclusive(async (q) => {
        const status = await statusOf(q, id);
        await q.query(
          `UPDATE terminals SET paused = false, paused_reason = NULL, paused_by = NULL, paused_at = NULL WHERE id = $1`,
          [id],
        );
        return { status, paused: false as const };
      }),
  };
}

async function statusOf(q: Queryable, id: string): Promise<string> {
  const { rows } = await q.query<{ status: string }>(`SELECT status FROM terminals WHERE id = $1 FOR UPDATE`, [id]);
  if (!rows[0]) throw new NotFoundError(`terminal ${id} does not exist`);
  return rows[0].status;
}
