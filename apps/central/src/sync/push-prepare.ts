import {
  describeZodError,
  rowSchemaOf,
  type PushChange,
  type PushResult,
  type RowSchema,
  type SyncPolicy,
  type TablePolicy,
} from "@tillsync/shared";
import type { TerminalIdentity } from "../store/terminals";

/** A change that passed validation, with its row normalised for central. */
export interface PreparedChange {
  change: PushChange;
  policy: TablePolicy;
  /** Row to write (CREATE/UPDATE): validated, `version` removed, defaults left to the database. */
  row: Record<string, unknown> | null;
  /** The terminal's previous values (UPDATE/DELETE), validated loosely: only merge fields matter. */
  baseRow: Record<string, unknown> | null;
}

export type Prepared = { ok: true; value: PreparedChange } | { ok: false; result: PushResult };

function reject(change: PushChange, reason: string, retryable = false): Prepared {
  return { ok: false, result: { changeId: change.changeId, status: "REJECTED", reason, retryable } };
}

/** Row schemas built from the policy in use, once per table policy (built on first use). */
const schemas = new WeakMap<TablePolicy, RowSchema>();
export function rowSchemaFor(p: TablePolicy): RowSchema {
  let s = schemas.get(p);
  if (!s) schemas.set(p, (s = rowSchemaOf(p)));
  return s;
}

/**
 * Step 1 of a push, without the database: validates every change of the batch (prepareChange).
 * A change id repeated within one batch is judged once, by its first copy; later copies are
 * dropped. Answers are per change id, so every copy gets the same answer: the first copy's
 * result once it is applied, or "appears twice" when the first copy was itself invalid.
 */
export function prepareBatch(
  policy: SyncPolicy,
  terminal: TerminalIdentity,
  changes: PushChange[],
): { prepared: PreparedChange[]; results: Map<string, PushResult> } {
  const results = new Map<string, PushResult>();
  const prepared: PreparedChange[] = [];
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.changeId)) {
      results.set(c.changeId, {
        changeId: c.changeId,
        status: "REJECTED",
        reason: "changeId appears twice in one batch",
        retryable: false,
      });
      continue;
    }
    seen.add(c.changeId);
    const p = prepareChange(policy, terminal, c);
    if (p.ok) prepared.push(p.value);
    else results.set(c.changeId, p.result);
  }
  return { prepared, results };
}

/**
 * Checks one change against the policy and the authenticated terminal (G8) without touching
 * the database. Rejections here are final: the same change will be rejected again.
 */
export function prepareChange(policy: SyncPolicy, terminal: TerminalIdentity, change: PushChange): Prepared {
  const p = policy[change.entityType];
  if (p.direction === "CENTRAL_TO_TERMINAL") {
    return reject(change, `${p.table} is owned by central; terminals receive it but cannot change it`);
  }
  if (p.appendOnly && change.operation !== "CREATE") {
    return reject(change, `${p.table} is append-only; record a correcting row instead of ${change.operation}`);
  }
  if (change.operation === "DELETE") {
    return { ok: true, value: { change, policy: p, row: null, baseRow: change.baseData ?? null } };
  }
  if (!change.data) return reject(change, `${change.operation} needs data (the row after the change)`);

  const parsed = rowSchemaFor(p).safeParse({ id: change.entityId, ...change.data });
  if (!parsed.success) return reject(change, `invalid ${p.table} row: ${describeZodError(parsed.error)}`);
  const row: Record<string, unknown> = { ...parsed.data };
  if (row.id !== change.entityId)
    return reject(change, `data.id ${String(row.id)} differs from entityId ${change.entityId}`);

  if ("terminal_id" in row || p.columns.some((c) => c.name === "terminal_id")) {
    if (row.terminal_id != null && row.terminal_id !== terminal.id) {
      return reject(change, `terminal ${terminal.id} cannot write rows of terminal ${String(row.terminal_id)}`);
    }
    row.terminal_id = terminal.id;
  }
  if (p.scope === "STORE" && p.columns.some((c) => c.name === "store_id") && row.store_id !== terminal.storeId) {
    return reject(change, `terminal ${terminal.id} belongs to store ${terminal.storeId}, not ${String(row.store_id)}`);
  }
  // Columns the policy fills from the change's envelope when the till left them empty
  // (sale_orders.created_in_mode: the mode the till was in when it made the change).
  for (const c of p.columns) if (c.fromChange && row[c.name] == null) row[c.name] = change[c.fromChange];

  return { ok: true, value: { change, policy: p, row: normaliseForCentral(p, row), baseRow: change.baseData ?? null } };
}

/** Central owns `version`; a null for a column with a database default means "the default". */
export function normaliseForCentral(p: TablePolicy, row: Record<string, unknown>): Record<string, unknown> {
  const out = { ...row };
  delete out.version;
  for (const c of p.columns) if (c.defaulted && out[c.name] == null) delete out[c.name];
  return out;
}
