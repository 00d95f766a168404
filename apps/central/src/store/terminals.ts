import { NotFoundError, StateConflictError, type TerminalStatus } from "@tillsync/shared";
import type { PrismaClient } from "../generated/prisma/client";
import { parseStoredHeartbeat, type StoredHeartbeat } from "./stored-heartbeat";
import { OPEN_PART } from "./sync-runs";
import { acknowledgeMany, type AckEntry } from "./terminal-acks";
import type { Queryable } from "./transaction";

export type { AckEntry };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who a terminal key belongs to: what authentication hands to the routes and sockets. */
export interface TerminalIdentity {
  id: string;
  storeId: string;
  name: string;
  /** The key it authenticated with (its sockets join a room per key, so an expiring key's sockets can be dropped). */
  keyId?: string;
}

/** A key lookup's answer: who it is, and until when the key works (null: until revoked). */
export interface KeyHolder extends TerminalIdentity {
  keyExpiresAt: Date | null;
}

/** A terminal as the admin list shows it, its heartbeat already parsed. */
export interface TerminalRecord {
  id: string;
  name: string;
  storeId: string;
  status: TerminalStatus;
  paused: boolean;
  lastSeenAt: Date | null;
  lastSyncAt: Date | null;
  ackedCursor: string;
  heartbeat: StoredHeartbeat | null;
  /** Feed entries in its scope after its acknowledged cursor, counted up to the cap. */
  lag: number;
  code: string | null;
  storeName: string | null;
  /** Age in seconds of the oldest feed entry in its scope it has not acknowledged; 0 when caught up. */
  lagSeconds: number;
}

/** A new key's hash and display prefix (the key itself is never stored). */
export interface StoredKey {
  hash: string;
  prefix: string;
}

/** The terminals table (and its keys) in plain SQL: usable on the pool or inside a transaction. */
/** What a heartbeat changed: back from OFFLINE (it had heartbeats before), and whether the previous one said the circuit was open. */
export interface HeartbeatTransition {
  name: string;
  cameBack: boolean;
  circuitWasOpen: boolean;
}

export interface TerminalQueries {
  /** The enabled terminal holding this key, if the key is neither revoked nor past its grace period. */
  findByKeyHash(hash: string): Promise<KeyHolder | undefined>;
  statusOf(id: string): Promise<TerminalStatus | undefined>;
  /** Ids of every terminal not disabled (of these stores only, when given), oldest first. */
  activeIds(storeIds?: string[]): Promise<string[]>;
  /**
   * A push was applied: the terminal synced, and was seen; the `pushed` records it applied are
   * counted in its open sync run part, if any (as SyncRunStore.addRecords does), in the same
   * statement: inside the push's transaction, one round trip fewer per batch.
   */
  markSynced(id: string, pushed?: number): Promise<void>;
  /**
   * Records the cursor a terminal applied; never moves it backwards. Not recorded (false) beyond
   * the feed's head, nor with an `epoch` that is not the feed's (acknowledgeMany).
   */
  acknowledge(id: string, cursor: string, epoch?: string): Promise<boolean>;
  /**
   * acknowledge for many terminals in one statement, committed asynchronously (hub/ack-batcher.ts);
   * ids are distinct. Answers the ids recorded.
   */
  acknowledgeMany(batch: AckEntry[]): Promise<Set<string>>;
  /** Stores the heartbeat; a terminal heard from is ONLINE again, unless it is disabled. */
  recordHeartbeat(id: string, heartbeat: StoredHeartbeat): Promise<HeartbeatTransition>;
  /** recordHeartbeat for many terminals in one statement (hub/heartbeat-batcher.ts); ids are distinct. */
  recordHeartbeats(batch: Array<{ id: string; heartbeat: StoredHeartbeat }>): Promise<Map<string, HeartbeatTransition>>;
  /** Turns ONLINE terminals silent for longer than `timeoutS` OFFLINE; returns those it turned. */
  markSilentOffline(timeoutS: number): Promise<Array<{ id: string; name: string }>>;
  /**
   * Every terminal not disabled whose last heartbeat may count more than `over` pending or
   * failed changes over all tables, with it (a superset: the caller checks the parsed heartbeat).
   */
  backloggedHeartbeats(over: {
    pending: number;
    failed: number;
  }): Promise<Array<{ id: string; name: string; heartbeat: StoredHeartbeat | null }>>;
  /** One terminal's heartbeat (empty when it does not exist), or every live terminal's. */
  heartbeats(terminalId?: string): Promise<Array<StoredHeartbeat | null>>;
  /** Every terminal, or only the one with this id. */
  list(lagCap: number, id?: string): Promise<TerminalRecord[]>;
  /** The id of the terminal with this UUID or human code. */
  resolveRef(ref: string): Promise<string | undefined>;
  /** Terminals an operator paused one by one (store/sync-control.ts writes it). */
  pausedIds(): Promise<string[]>;
}

export function terminalQueries(q: Queryable): TerminalQueries {
  return { ...terminalReads(q), ...terminalListing(q), ...terminalWrites(q) };
}

function terminalReads(
  q: Queryable,
): Pick<TerminalQueries, "findByKeyHash" | "statusOf" | "activeIds" | "backloggedHeartbeats" | "heartbeats"> {
  return {
    async findByKeyHash(hash) {
      const { rows } = await q.query<KeyHolder>(
        `SELECT t.id, t.store_id AS "storeId", t.name, k.id AS "keyId", k.expires_at AS "keyExpiresAt"
           FROM terminal_keys k JOIN terminals t ON t.id = k.terminal_id
          WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
            AND t.status <> 'DISABLED'`,
        [hash],
      );
      return rows[0];
    },
    async statusOf(id) {
      const { rows } = await q.query<{ status: TerminalStatus }>(`SELECT status FROM terminals WHERE id = $1`, [id]);
      return rows[0]?.status;
    },
    async activeIds(storeIds) {
      const { rows } = await q.query<{ id: string }>(
        `SELECT id FROM terminals WHERE status <> 'DISABLED' AND ($1::uuid[] IS NULL OR store_id = ANY($1::uuid[]))
          ORDER BY created_at`,
        [storeIds ?? null],
      );
      return rows.map((r) => r.id);
    },
    async backloggedHeartbeats(over) {
      // The sums in SQL: reading and parsing every till's heartbeat held central's event loop
      // for 50-100 ms per sweep at 10,000 tills. Only a prefilter (anything malformed counts 0
      // here and parses to no heartbeat in hasBacklog); the caller decides on the parsed rows.
      const { rows } = await q.query<{ id: string; name: string; last_heartbeat: unknown }>(
        `SELECT t.id, t.name, t.last_heartbeat FROM terminals t,
                LATERAL (SELECT coalesce(sum(CASE WHEN jsonb_typeof(c.v->'pending') = 'number'
                                                  THEN (c.v->>'pending')::numeric END), 0) AS pending,
                                coalesce(sum(CASE WHEN jsonb_typeof(c.v->'failed') = 'number'
                                                  THEN (c.v->>'failed')::numeric END), 0) AS failed
                           FROM jsonb_each(CASE WHEN jsonb_typeof(t.last_heartbeat->'outbox') = 'object'
                                                THEN t.last_heartbeat->'outbox' ELSE '{}'::jsonb END) AS c(k, v)) s
          WHERE t.status <> 'DISABLED' AND t.last_heartbeat IS NOT NULL AND (s.pending > $1 OR s.failed > $2)`,
        [over.pending, over.failed],
      );
      return rows.map((r) => ({ id: r.id, name: r.name, heartbeat: parseStoredHeartbeat(r.last_heartbeat) }));
    },
    async heartbeats(terminalId) {
      const { rows } = await q.query<{ last_heartbeat: unknown }>(
        `SELECT last_heartbeat FROM terminals WHERE ($1::uuid IS NULL AND status <> 'DISABLED') OR id = $1::uuid`,
        [terminalId ?? null],
      );
      return rows.map((r) => parseStoredHeartbeat(r.last_heartbeat));
    },
  };
}

/** The admin list (every terminal, or one) and code lookup. */
function terminalListing(q: Queryable): Pick<TerminalQueries, "list" | "resolveRef"> {
  return {
    async list(lagCap, id) {
      // Lag: feed entries in the terminal's scope after its acknowledged cursor (other stores'
      // stock never reaches it, so it is not lag). Capped, so a new terminal costs one bounded scan.
      // lagSeconds reads only the first such entry. Each is two branches, all-stores rows and the
      // store's rows, on the change feed's scope indexes, as the pull reads them (change-feed.ts):
      // the one-condition OR form reads every other store's entries too.
      const { rows } = await q.query<Omit<TerminalRecord, "heartbeat"> & { heartbeat: unknown }>(
        `SELECT t.id, t.name, t.store_id AS "storeId", t.status, t.paused, t.last_seen_at AS "lastSeenAt",
                t.last_sync_at AS "lastSyncAt", t.acked_cursor::text AS "ackedCursor", t.last_heartbeat AS heartbeat,
                t.code, s.name AS "storeName",
                least($1::int, (SELECT count(*)::int FROM (
                  (SELECT 1 FROM change_feed f WHERE f.store_id IS NULL AND f.position > t.acked_cursor LIMIT $1)
                  UNION ALL
                  (SELECT 1 FROM change_feed f WHERE f.store_id = t.store_id AND f.position > t.acked_cursor LIMIT $1)
                  ) x)) AS lag,
                coalesce((SELECT extract(epoch FROM now() - x.created_at)::float8 FROM (
                  (SELECT f.position, f.created_at FROM change_feed f
                    WHERE f.store_id IS NULL AND f.position > t.acked_cursor ORDER BY f.position LIMIT 1)
                  UNION ALL
                  (SELECT f.position, f.created_at FROM change_feed f
                    WHERE f.store_id = t.store_id AND f.position > t.acked_cursor ORDER BY f.position LIMIT 1)
                  ) x ORDER BY x.position LIMIT 1), 0) AS "lagSeconds"
           FROM terminals t LEFT JOIN stores s ON s.id = t.store_id
          WHERE $2::uuid IS NULL OR t.id = $2::uuid
          ORDER BY t.created_at`,
        [lagCap, id ?? null],
      );
      return rows.map((r) => ({
        ...r,
        lagSeconds: Math.max(0, r.lagSeconds),
        heartbeat: parseStoredHeartbeat(r.heartbeat),
      }));
    },
    async resolveRef(ref) {
      const { rows } = await q.query<{ id: string }>(
        UUID.test(ref) ? `SELECT id FROM terminals WHERE id = $1::uuid` : `SELECT id FROM terminals WHERE code = $1`,
        [ref],
      );
      return rows[0]?.id;
    },
  };
}

const MARK_SYNCED = `UPDATE terminals SET last_sync_at = now(), last_seen_at = now() WHERE id = $1`;

function terminalWrites(
  q: Queryable,
): Pick<
  TerminalQueries,
  | "markSynced"
  | "acknowledge"
  | "acknowledgeMany"
  | "recordHeartbeat"
  | "recordHeartbeats"
  | "markSilentOffline"
  | "pausedIds"
> {
  return {
    async markSynced(id, pushed = 0) {
      if (pushed === 0) await q.query(MARK_SYNCED, [id]);
      else
        await q.query(
          `WITH run AS (UPDATE sync_run_terminals SET pushed = pushed + $2 WHERE terminal_id = $1 AND ${OPEN_PART})
           ${MARK_SYNCED}`,
          [id, pushed],
        );
    },
    acknowledge: async (id, cursor, epoch) => (await acknowledgeMany(q, [{ id, cursor, epoch }])).has(id),
    acknowledgeMany: (batch) => acknowledgeMany(q, batch),
    async recordHeartbeat(id, heartbeat) {
      const t = (await recordHeartbeats(q, [{ id, heartbeat }])).get(id);
      return t ?? { name: "", cameBack: false, circuitWasOpen: false };
    },
    recordHeartbeats: (batch) => recordHeartbeats(q, batch),
    async markSilentOffline(timeoutS) {
      // Only ONLINE rows change, so two overlapping sweeps report each silence once.
      const { rows } = await q.query<{ id: string; name: string }>(
        `UPDATE terminals SET status = 'OFFLINE'
          WHERE status = 'ONLINE' AND (last_seen_at IS NULL OR last_seen_at < now() - make_interval(secs => $1))
          RETURNING id, name`,
        [timeoutS],
      );
      return rows;
    },
    async pausedIds() {
      const { rows } = await q.query<{ id: string }>(`SELECT id FROM terminals WHERE paused`);
      return rows.map((r) => r.id);
    },
  };
}

/** What a rotation did to the keys it replaced. */
export interface RotatedKey {
  /** When the previous keys stop working; null when they stopped at once. */
  previousKeyValidUntil: Date | null;
  /** The keys replaced (their sockets are dropped when they stop working). */
  previousKeyIds: string[];
}

/** Provisioning writes, through Prisma: rare admin calls where its typed client reads best. */
export interface TerminalAdmin {
  /** Creates a terminal with its first key; a taken id is a StateConflictError. */
  create(
    input: { id?: string; name: string; storeId: string; code?: string },
    key: StoredKey,
  ): Promise<{ id: string; name: string; storeId: string; status: TerminalStatus; code: string | null }>;
  /**
   * Stores a new key; the terminal's current keys stop working at once (graceSeconds 0) or
   * after the grace period (a key already expiring sooner keeps its sooner end), in one
   * transaction. A disabled terminal is a StateConflictError.
   */
  rotateKey(id: string, key: StoredKey, graceSeconds: number): Promise<RotatedKey>;
  disable(id: string): Promise<void>;
  /** A disabled terminal becomes OFFLINE (ONLINE again with its next heartbeat); others stay as they are. */
  enable(id: string): Promise<TerminalStatus>;
  /** Revokes every key of the terminal: it cannot authenticate until a key is rotated in. */
  revokeKeys(id: string): Promise<TerminalStatus>;
}

export function terminalAdmin(prisma: PrismaClient): TerminalAdmin {
  return {
    ...terminalStateAdmin(prisma),
    async create(input, key) {
      try {
        const t = await prisma.$transaction(async (tx) => {
          const t = await tx.terminal.create({
            data: {
              ...(input.id ? { id: input.id } : {}),
              name: input.name,
              storeId: input.storeId,
              code: input.code ?? null,
            },
          });
          await tx.terminalKey.create({ data: { terminalId: t.id, keyHash: key.hash, keyPrefix: key.prefix } });
          return t;
        });
        return { id: t.id, name: t.name, storeId: t.storeId, status: t.status, code: t.code };
      } catch (err) {
        if ((err as { code?: string }).code === "P2002")
          throw new StateConflictError(
            input.code
              ? `a terminal with this id or the code ${input.code} already exists; choose another code`
              : `terminal ${input.id} already exists`,
          );
        throw err;
      }
    },
    async rotateKey(id, key, graceSeconds) {
      return prisma.$transaction(async (tx) => {
        const t = await tx.terminal.findUnique({ where: { id } });
        if (!t) throw new NotFoundError(`terminal ${id} does not exist`);
        if (t.status === "DISABLED") throw new StateConflictError(`terminal ${id} is disabled; enable it first`);
        const now = new Date();
        const live = { terminalId: id, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] };
        const previous = await tx.terminalKey.findMany({ where: live, select: { id: true } });
        const until = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
        if (until)
          await tx.terminalKey.updateMany({
            where: { ...live, OR: [{ expiresAt: null }, { expiresAt: { gt: until } }] },
            data: { expiresAt: until },
          });
        else await tx.terminalKey.updateMany({ where: live, data: { revokedAt: now } });
        await tx.terminalKey.create({ data: { terminalId: id, keyHash: key.hash, keyPrefix: key.prefix } });
        return { previousKeyValidUntil: until, previousKeyIds: previous.map((k) => k.id) };
      });
    },
    async disable(id) {
      const { count } = await prisma.terminal.updateMany({ where: { id }, data: { status: "DISABLED" } });
      if (count === 0) throw new NotFoundError(`terminal ${id} does not exist`);
    },
  };
}

/** Enable and key revocation: the console's actions beside create, rotate and disable. */
function terminalStateAdmin(prisma: PrismaClient): Pick<TerminalAdmin, "enable" | "revokeKeys"> {
  return {
    async enable(id) {
      const t = await prisma.terminal.findUnique({ where: { id } });
      if (!t) throw new NotFoundError(`terminal ${id} does not exist`);
      if (t.status !== "DISABLED") return t.status;
      await prisma.terminal.update({ where: { id }, data: { status: "OFFLINE" } });
      return "OFFLINE";
    },
    async revokeKeys(id) {
      return prisma.$transaction(async (tx) => {
        const t = await tx.terminal.findUnique({ where: { id } });
        if (!t) throw new NotFoundError(`terminal ${id} does not exist`);
        await tx.terminalKey.updateMany({
          where: { terminalId: id, revokedAt: null },
          data: { revokedAt: new Date() },
        });
        return t.status;
      });
    },
  };
}

/**
 * Heartbeats of many terminals in one statement, each with what it changed. The rows as they
 * were are locked (ordered by id, so two overlapping batches lock alike), so two heartbeats at
 * once report one transition. Committed asynchronously (synchronous_commit off for this
 * statement's own transaction, `async_commit`): a heartbeat is a status that the next one
 * replaces within 30 s, so a crash of PostgreSQL may lose the last fraction of a second of them
 * (never a torn row), and the batch does not wait for a WAL flush, which on a busy disk was
 * the heartbeat's p99. For the pool only: inside a larger transaction the setting would make
 * that whole transaction's commit asynchronous.
 */
async function recordHeartbeats(
  q: Queryable,
  batch: Array<{ id: string; heartbeat: StoredHeartbeat }>,
): Promise<Map<string, HeartbeatTransition>> {
  const out = new Map<string, HeartbeatTransition>();
  if (batch.length === 0) return out;
  const sorted = [...batch].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const { rows } = await q.query<{ id: string; name: string; was_offline: boolean; circuit_was_open: boolean }>(
    `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS setting),
     prev AS (
       SELECT t.id, t.status = 'OFFLINE' AND t.last_heartbeat IS NOT NULL AS was_offline,
              COALESCE(t.last_heartbeat->>'circuit' = 'open', t.last_heartbeat->>'status' = 'circuit-open', false)
                AS circuit_was_open
         FROM terminals t WHERE t.id = ANY($1::uuid[]) ORDER BY t.id FOR UPDATE)
     UPDATE terminals t SET last_seen_at = now(), last_heartbeat = b.hb,
            status = CASE WHEN t.status = 'DISABLED' THEN t.status ELSE 'ONLINE'::terminal_status END
       FROM async_commit, prev, unnest($1::uuid[], $2::jsonb[]) AS b(id, hb)
      WHERE t.id = prev.id AND b.id = t.id AND async_commit.setting = 'off'
      RETURNING t.id, t.name, prev.was_offline, prev.circuit_was_open`,
    [sorted.map((b) => b.id), sorted.map((b) => JSON.stringify(b.heartbeat))],
  );
  for (const r of rows) out.set(r.id, { name: r.name, cameBack: r.was_offline, circuitWasOpen: r.circuit_was_open });
  return out;
}
