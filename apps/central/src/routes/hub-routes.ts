import { Router } from "express";
import {
  capturedTables,
  emergencyStopRequestSchema,
  NotFoundError,
  parseOrThrow,
  scheduleRequestSchema,
  StateConflictError,
  syncAllRequestSchema,
  syncStatusQuerySchema,
  type SyncPolicy,
  type SyncStatusResponse,
  type SyncTable,
  type TableCounts,
} from "@tillsync/shared";
import type { CentralDb } from "../db/database";
import type { Hub } from "../hub/hub";
import { route } from "../http/async-route";

type HeartbeatOutbox = Partial<Record<SyncTable, Partial<TableCounts>>>;

/** The hub's admin endpoints under /api/sync; mounted behind adminAuth. */
export function hubRoutes(db: CentralDb, hub: Hub, policy: SyncPolicy): Router {
  const r = Router();

  r.post(
    "/sync/all",
    route(async (req, res) => {
      const body = parseOrThrow(syncAllRequestSchema, req.body, "sync-all request");
      let triggered: string[];
      if (body.terminalId) {
        const { rows } = await db.pool.query<{ status: string }>(`SELECT status FROM terminals WHERE id = $1`, [
          body.terminalId,
        ]);
        if (!rows[0]) throw new NotFoundError(`terminal ${body.terminalId} does not exist`);
        if (rows[0].status === "DISABLED") throw new StateConflictError(`terminal ${body.terminalId} is disabled`);
        await hub.triggerTerminals([body.terminalId], "FULL", "MANUAL");
        triggered = [body.terminalId];
      } else {
        triggered = await hub.triggerActive("FULL", "MANUAL");
      }
      res.status(202).json({ triggered, type: "FULL", reason: "MANUAL" });
    }),
  );

  r.get(
    "/sync/status",
    route(async (req, res) => {
      const q = parseOrThrow(syncStatusQuerySchema, req.query, "status query");
      res.json(await syncStatus(db, policy, q.terminalId));
    }),
  );

  r.post(
    "/sync/emergency-stop",
    route(async (req, res) => {
      const body = parseOrThrow(emergencyStopRequestSchema, req.body ?? {}, "emergency-stop request");
      res.json(await hub.emergencyStop(body.reason));
    }),
  );

  r.post(
    "/sync/resume",
    route(async (_req, res) => {
      res.json(await hub.resume());
    }),
  );

  r.get(
    "/sync/schedules",
    route(async (_req, res) => {
      res.json({ schedules: await hub.schedules.list() });
    }),
  );

  r.post(
    "/sync/schedules",
    route(async (req, res) => {
      const body = parseOrThrow(scheduleRequestSchema, req.body, "schedule request");
      const out = await hub.schedules.apply(body);
      res.status(body.action === "create" ? 201 : 200).json({ action: body.action, ...out });
    }),
  );

  return r;
}

/**
 * SPEC §4 status: outbox counts per table from the terminals' last heartbeats (summed over
 * every live terminal when no terminalId is given); conflicts also count central's own
 * pending conflict log, whichever is higher.
 */
export async function syncStatus(
  db: CentralDb,
  policy: SyncPolicy,
  terminalId: string | undefined,
): Promise<SyncStatusResponse> {
  const { rows } = await db.pool.query<{ last_heartbeat: { outbox?: HeartbeatOutbox } | null }>(
    `SELECT last_heartbeat FROM terminals WHERE ($1::uuid IS NULL AND status <> 'DISABLED') OR id = $1::uuid`,
    [terminalId ?? null],
  );
  if (terminalId && rows.length === 0) throw new NotFoundError(`terminal ${terminalId} does not exist`);
  const { rows: pendingConflicts } = await db.pool.query<{ entity_type: SyncTable; n: number }>(
    `SELECT entity_type, count(*)::int AS n FROM conflicts WHERE status = 'PENDING' AND ($1::uuid IS NULL OR terminal_id = $1::uuid) GROUP BY entity_type`,
    [terminalId ?? null],
  );
  const tables: Partial<Record<SyncTable, TableCounts>> = {};
  for (const p of capturedTables(policy)) tables[p.table] = { pending: 0, failed: 0, synced: 0, conflicts: 0 };
  for (const r of rows) {
    for (const [table, c] of Object.entries(r.last_heartbeat?.outbox ?? {}) as Array<
      [SyncTable, Partial<TableCounts>]
    >) {
      const t = (tables[table] ??= { pending: 0, failed: 0, synced: 0, conflicts: 0 });
      t.pending += c.pending ?? 0;
      t.failed += c.failed ?? 0;
      t.synced += c.synced ?? 0;
      t.conflicts += c.conflicts ?? 0;
    }
  }
  for (const c of pendingConflicts) {
    const t = (tables[c.entity_type] ??= { pending: 0, failed: 0, synced: 0, conflicts: 0 });
    t.conflicts = Math.max(t.conflicts, c.n);
  }
  const all = Object.values(tables);
  const sum = (k: keyof TableCounts) => all.reduce((n, t) => n + t[k], 0);
  const count = (k: keyof TableCounts) => all.filter((t) => t[k] > 0).length;
  return {
    terminalId: terminalId ?? null,
    tables,
    totals: { pending: sum("pending"), failed: sum("failed"), synced: sum("synced"), conflicts: sum("conflicts") },
    summary: {
      totalTables: all.length,
      tablesWithPending: count("pending"),
      tablesWithFailed: count("failed"),
      tablesWithSynced: count("synced"),
      tablesWithConflicts: count("conflicts"),
    },
  };
}
