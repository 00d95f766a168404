import {
  describeZodError,
  NotFoundError,
  rowSchemas,
  StateConflictError,
  ValidationError,
  type SyncPolicy,
  type SyncTable,
} from "@tillsync/shared";
import type { CentralDb } from "../db/database";
import { normaliseForCentral } from "./push-prepare";
import { deleteRows, lockRows, upsertRows } from "./table-writer";

export type Resolution = "KEEP_CENTRAL" | "TAKE_TERMINAL" | "CUSTOM";

interface ConflictRecord {
  id: string;
  status: string;
  entity_type: SyncTable;
  entity_id: string;
  terminal_data: Record<string, unknown> | null;
}

/**
 * Settles a pending (MANUAL_MERGE) conflict. The chosen row is written at central in the
 * same transaction as the conflict's new status; the write bumps `version` and enters the
 * change feed, so every terminal in the row's scope receives the outcome on its next pull —
 * the one that pushed the change included.
 */
export async function resolveConflict(
  db: CentralDb,
  policy: SyncPolicy,
  input: { conflictId: string; resolution: Resolution; resolvedData?: Record<string, unknown> },
): Promise<{ id: string; status: "RESOLVED"; resolution: Resolution; row: Record<string, unknown> | null }> {
  const client = await db.pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<ConflictRecord>(
      `SELECT id, status, entity_type, entity_id, terminal_data FROM conflicts WHERE id = $1 FOR UPDATE`,
      [input.conflictId],
    );
    const c = rows[0];
    if (!c) throw new NotFoundError(`conflict ${input.conflictId} does not exist`);
    if (c.status !== "PENDING")
      throw new StateConflictError(`conflict ${c.id} is already ${c.status}; nothing to resolve`);
    const p = policy[c.entity_type];
    const id = c.entity_id;

    let chosen: Record<string, unknown> | null | "keep";
    if (input.resolution === "KEEP_CENTRAL") chosen = "keep";
    else if (input.resolution === "TAKE_TERMINAL") chosen = c.terminal_data;
    else {
      const parsed = rowSchemas[c.entity_type].safeParse({ ...input.resolvedData, id });
      if (!parsed.success)
        throw new ValidationError(`invalid resolvedData for ${c.entity_type}: ${describeZodError(parsed.error)}`);
      chosen = parsed.data;
    }

    if (chosen === "keep") {
      // Re-announce central's row so a terminal that shows its own version takes central's.
      await client.query(`UPDATE ${p.table} SET version = version + 1 WHERE id = $1`, [id]);
    } else if (chosen === null) {
      await deleteRows(client, p.table, [id]);
    } else {
      await upsertRows(client, p, [normaliseForCentral(p, { ...chosen, id })]);
    }
    const after = (await lockRows(client, p.table, [id])).get(id) ?? null;
    await client.query(
      `UPDATE conflicts SET status = 'RESOLVED', resolution = $2, resolved_data = $3, resolved_at = now() WHERE id = $1`,
      [c.id, input.resolution, after ? JSON.stringify(after) : null],
    );
    await client.query("COMMIT");
    return { id: c.id, status: "RESOLVED", resolution: input.resolution, row: after };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
