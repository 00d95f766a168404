import {
  capturedTables,
  NotFoundError,
  type SyncPolicy,
  type SyncStatusResponse,
  type SyncTable,
  type TableCounts,
} from "@tillsync/shared";
import type { ConflictQueries } from "../store/conflicts";
import type { SyncControlQueries } from "../store/sync-control";
import type { TerminalQueries } from "../store/terminals";

export interface SyncStatusStore {
  terminals: Pick<TerminalQueries, "heartbeats">;
  conflicts: Pick<ConflictQueries, "pendingCounts">;
  control: Pick<SyncControlQueries, "emergency" | "holdOf">;
}

const zero = (): TableCounts => ({ pending: 0, failed: 0, synced: 0, conflicts: 0 });

/**
 * SPEC §4 status: outbox counts per table from the terminals' last heartbeats (summed over
 * every live terminal when no terminalId is given); conflicts also count central's own
 * pending conflict log, whichever is higher.
 */
export async function syncStatus(
  store: SyncStatusStore,
  policy: SyncPolicy,
  terminalId: string | undefined,
): Promise<SyncStatusResponse> {
  const heartbeats = await store.terminals.heartbeats(terminalId);
  if (terminalId && heartbeats.length === 0) throw new NotFoundError(`terminal ${terminalId} does not exist`);
  const tables: Partial<Record<SyncTable, TableCounts>> = {};
  for (const p of capturedTables(policy)) tables[p.table] = zero();
  for (const hb of heartbeats) {
    for (const [table, c] of Object.entries(hb?.outbox ?? {}) as Array<[SyncTable, TableCounts]>) {
      const t = (tables[table] ??= zero());
      t.pending += c.pending;
      t.failed += c.failed;
      t.synced += c.synced;
      t.conflicts += c.conflicts;
    }
  }
  for (const c of await store.conflicts.pendingCounts(terminalId)) {
    const t = (tables[c.entityType] ??= zero());
    t.conflicts = Math.max(t.conflicts, c.count);
  }
  const hold = terminalId
    ? await store.control.holdOf(terminalId)
    : { emergency: await store.control.emergency(), pause: null };
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
    emergency: hold.emergency,
    ...(terminalId ? { terminalPause: hold.pause } : {}),
    // SPEC §4 colours: red under an emergency stop, yellow while paused.
    ...(hold.emergency.stopped
      ? { health: "red" as const, state: "emergency stop" }
      : hold.pause
        ? { health: "yellow" as const, state: "paused" }
        : { state: "running" }),
  };
}
