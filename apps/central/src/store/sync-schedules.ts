import type { Queryable } from "./transaction";

/** A schedule as PostgreSQL holds it (the source of truth; Redis only has its job scheduler). */
export interface StoredSchedule {
  id: string;
  cron: string;
  tz: string;
  paused: boolean;
  retries: number;
  attemptTimeoutS: number;
  createdAt: string;
}

/** The flag that records that the default schedule was created on a first start. */
const DEFAULT_SCHEDULE_FLAG = "default-schedule";

/** sync_schedules: the schedules of POST /api/sync/schedules. */
export interface SyncScheduleStore {
  list(): Promise<StoredSchedule[]>;
  get(id: string): Promise<StoredSchedule | undefined>;
  /** false when the id is taken. */
  insert(s: Omit<StoredSchedule, "createdAt">): Promise<boolean>;
  setPaused(id: string, paused: boolean): Promise<StoredSchedule | undefined>;
  /** Sets cron, zone, retries and attempt timeout; undefined when there is no such schedule. */
  update(s: Omit<StoredSchedule, "createdAt" | "paused">): Promise<StoredSchedule | undefined>;
  /** false when there was no such schedule. */
  delete(id: string): Promise<boolean>;
  /**
   * Creates `s` as the default schedule unless one was created before (on this database's
   * first start), in one statement so two instances starting together create it once; true
   * when this call created it. Deleting it later is not undone.
   */
  createDefaultOnce(s: Omit<StoredSchedule, "createdAt">): Promise<boolean>;
}

interface Row {
  id: string;
  cron: string;
  tz: string;
  paused: boolean;
  retries: number;
  attempt_timeout_s: number;
  created_at: Date;
}

const COLUMNS = `id, cron, tz, paused, retries, attempt_timeout_s, created_at`;

function toSchedule(r: Row): StoredSchedule {
  return {
    id: r.id,
    cron: r.cron,
    tz: r.tz,
    paused: r.paused,
    retries: r.retries,
    attemptTimeoutS: r.attempt_timeout_s,
    createdAt: r.created_at.toISOString(),
  };
}

const values = (s: Omit<StoredSchedule, "createdAt">) => [s.id, s.cron, s.tz, s.paused, s.retries, s.attemptTimeoutS];

export function syncScheduleStore(q: Queryable): SyncScheduleStore {
  return {
    async list() {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM sync_schedules ORDER BY created_at, id`);
      return rows.map(toSchedule);
    },
    async get(id) {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM sync_schedules WHERE id = $1`, [id]);
      return rows[0] && toSchedule(rows[0]);
    },
    async insert(s) {
      const r = await q.query(
        `INSERT INTO sync_schedules (id, cron, tz, paused, retries, attempt_timeout_s)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
        values(s),
      );
      return r.rowCount === 1;
    },
    async setPaused(id, paused) {
      const { rows } = await q.query<Row>(
        `UPDATE sync_schedules SET paused = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, paused],
      );
      return rows[0] && toSchedule(rows[0]);
    },
    async update(s) {
      const { rows } = await q.query<Row>(
        `UPDATE sync_schedules SET cron = $2, tz = $3, retries = $4, attempt_timeout_s = $5, updated_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [s.id, s.cron, s.tz, s.retries, s.attemptTimeoutS],
      );
      return rows[0] && toSchedule(rows[0]);
    },
    async delete(id) {
      return ((await q.query(`DELETE FROM sync_schedules WHERE id = $1`, [id])).rowCount ?? 0) === 1;
    },
    async createDefaultOnce(s) {
      const r = await q.query(
        `WITH flag AS (INSERT INTO hub_flags (name) VALUES ($7) ON CONFLICT (name) DO NOTHING RETURNING name)
         INSERT INTO sync_schedules (id, cron, tz, paused, retries, attempt_timeout_s)
         SELECT $1, $2, $3, $4, $5, $6 FROM flag ON CONFLICT (id) DO NOTHING`,
        [...values(s), DEFAULT_SCHEDULE_FLAG],
      );
      return r.rowCount === 1;
    },
  };
}
