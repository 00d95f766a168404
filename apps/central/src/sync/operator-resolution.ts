import {
  describeZodError,
  NotFoundError,
  StateConflictError,
  ValidationError,
  type OperatorResolution,
  type SyncPolicy,
} from "@tillsync/shared";
import type { ConflictQueries } from "../store/conflicts";
import type { Row, SyncedTables } from "../store/synced-tables";
import { normaliseForCentral, rowSchemaFor } from "./push-prepare";

/** What resolving needs inside its transaction (a part of TxStore). */
export interface ResolutionTx {
  conflicts: Pick<ConflictQueries, "lockForResolution" | "markResolved">;
  tables: Pick<SyncedTables, "bumpVersion" | "deleteRows" | "upsertRows" | "lockRows">;
}

export interface ResolutionStore {
  transaction<T>(fn: (tx: ResolutionTx) => Promise<T>): Promise<T>;
}

/**
 * Settles a pending (MANUAL_MERGE) conflict: the operator's side of conflicts, where
 * sync/push-decision.ts is the push's. The chosen row is written at central in the same
 * transaction as the conflict's new status; the write bumps `version` and enters the change
 * feed, so every terminal in the row's scope receives the outcome on its next pull — the one
 * that pushed the change included.
 */
export async function resolveConflict(
  store: ResolutionStore,
  policy: SyncPolicy,
  input: { conflictId: string; resolution: OperatorResolution; resolvedData?: Record<string, unknown> },
  /** The operator who resolves, and why (kept on the conflict). */
  by?: { name: string; reason?: string | null },
): Promise<{ id: string; status: "RESOLVED"; resolution: OperatorResolution; row: Row | null }> {
  return store.transaction(async (tx) => {
    const c = await tx.conflicts.lockForResolution(input.conflictId);
    if (!c) throw new NotFoundError(`conflict ${input.conflictId} does not exist`);
    if (c.status !== "PENDING")
      throw new StateConflictError(`conflict ${c.id} is already ${c.status}; nothing to resolve`);
    const p = policy[c.entityType];
    const id = c.entityId;

    let chosen: Row | null | "keep";
    if (input.resolution === "KEEP_CENTRAL") chosen = "keep";
    else if (input.resolution === "TAKE_TERMINAL") chosen = c.terminalData;
    else {
      const parsed = rowSchemaFor(p).safeParse({ ...input.resolvedData, id });
      if (!parsed.success)
        throw new ValidationError(`invalid resolvedData for ${c.entityType}: ${describeZodError(parsed.error)}`);
      chosen = parsed.data;
    }

    if (chosen === "keep") {
      // Re-announce central's row so a terminal that shows its own version takes central's.
      await tx.tables.bumpVersion(p.table, id);
    } else if (chosen === null) {
      await tx.tables.deleteRows(p.table, [id]);
    } else {
      await tx.tables.upsertRows(p, [normaliseForCentral(p, { ...chosen, id })]);
    }
    const after = (await tx.tables.lockRows(p.table, [id])).get(id) ?? null;
    await tx.conflicts.markResolved(c.id, input.resolution, after, by);
    return { id: c.id, status: "RESOLVED" as const, resolution: input.resolution, row: after };
  });
}
