import {
  describeZodError,
  NotFoundError,
  rowSchemaFor,
  StateConflictError,
  ValidationError,
  type OperatorResolution,
  type SyncPolicy,
  type TablePolicy,
} from "@tillsync/shared";
import type { ConflictQueries, ConflictUnderResolution } from "../store/conflicts";
import { isRowLevelError, type Row, type SyncedTables } from "../store/synced-tables";
import { normaliseForCentral } from "./push-prepare";

/** What resolving needs inside its transaction (a part of TxStore). */
export interface ResolutionTx {
  conflicts: Pick<ConflictQueries, "lockForResolution" | "markResolved">;
  tables: Pick<SyncedTables, "bumpVersion" | "deleteRows" | "upsertRows" | "lockRows">;
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
}

type Chosen = Row | null | "keep";

/**
 * The row the operator chose, through the table's row schema whichever way it was chosen:
 * the terminal's row (TAKE_TERMINAL) obeys the same column domains as an operator's own
 * (CUSTOM) and as a push. A row that breaks them is a 400 naming the column; nothing changes.
 */
function chosenRow(
  p: TablePolicy,
  c: ConflictUnderResolution,
  input: { resolution: OperatorResolution; resolvedData?: Record<string, unknown> },
): Chosen {
  if (input.resolution === "KEEP_CENTRAL") return "keep";
  const raw = input.resolution === "TAKE_TERMINAL" ? c.terminalData : input.resolvedData;
  if (raw === null) return null; // the terminal deleted the row
  const parsed = rowSchemaFor(p).safeParse({ ...raw, id: c.entityId });
  if (parsed.success) return parsed.data;
  const whose = input.resolution === "TAKE_TERMINAL" ? "the terminal's row" : "resolvedData";
  throw new ValidationError(
    `${whose} breaks the rules of ${c.entityType}: ${describeZodError(parsed.error)}` +
      (input.resolution === "TAKE_TERMINAL" ? "; resolve with KEEP_CENTRAL or CUSTOM instead" : ""),
  );
}

async function writeChosen(tx: ResolutionTx, p: TablePolicy, id: string, chosen: Chosen): Promise<void> {
  if (chosen === "keep") {
    // Re-announce central's row so a terminal that shows its own version takes central's.
    await tx.tables.bumpVersion(p.table, id);
  } else if (chosen === null) {
    await tx.tables.deleteRows(p.table, [id]);
  } else {
    await tx.tables.upsertRows(p, [normaliseForCentral(p, { ...chosen, id })]);
  }
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

    const chosen = chosenRow(p, c, input);
    try {
      await tx.savepoint(() => writeChosen(tx, p, id, chosen));
    } catch (err) {
      // The row passed its schema but PostgreSQL refused it (an sku another product holds...).
      if (!isRowLevelError(err)) throw err;
      throw new StateConflictError(`central could not store the resolved ${p.table} row: ${(err as Error).message}`);
    }
    const after = (await tx.tables.lockRows(p.table, [id])).get(id) ?? null;
    await tx.conflicts.markResolved(c.id, input.resolution, after, by);
    return { id: c.id, status: "RESOLVED" as const, resolution: input.resolution, row: after };
  });
}
