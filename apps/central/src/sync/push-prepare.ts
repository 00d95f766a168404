import {
  columnSchema,
  describeZodError,
  parseRow,
  unknownColumns,
  type PushChange,
  type PushResult,
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
  /** The terminal's previous values of the merge fields (UPDATE/DELETE), each within its domain. */
  baseRow: Record<string, unknown> | null;
}

export type Prepared = { ok: true; value: PreparedChange } | { ok: false; result: PushResult };

function reject(change: PushChange, reason: string, retryable = false): Prepared {
  return { ok: false, result: { changeId: change.changeId, status: "REJECTED", reason, retryable } };
}

/**
 * Step 1 of a push, without the database: validates every change of the batch (prepareChange).
 * A change id repeated within one batch is judged once, by its first copy; every later copy is
 * REJECTED. `early` answers by position (the copies share their change id), the prepared
 * changes are answered by change id once applied.
 */
export function prepareBatch(
  policy: SyncPolicy,
  terminal: TerminalIdentity,
  changes: PushChange[],
): { prepared: PreparedChange[]; early: Array<PushResult | undefined> } {
  const early: Array<PushResult | undefined> = [];
  const prepared: PreparedChange[] = [];
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.changeId)) {
      early.push({
        changeId: c.changeId,
        status: "REJECTED",
        reason: "changeId appears twice in one batch; only its first copy was judged",
        retryable: false,
      });
      continue;
    }
    seen.add(c.changeId);
    const p = prepareChange(policy, terminal, c);
    if (p.ok) {
      prepared.push(p.value);
      early.push(undefined);
    } else early.push(p.result);
  }
  return { prepared, early };
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
  const base = prepareBase(p, change);
  if (!base.ok) return reject(change, base.reason);
  if (change.operation === "DELETE") {
    return { ok: true, value: { change: { ...change, data: null }, policy: p, row: null, baseRow: base.row } };
  }
  if (!change.data) return reject(change, `${change.operation} needs data (the row after the change)`);

  // The row schema would drop them silently; a column the agent's protocol has not is a mismatch.
  const unknown = unknownColumns(p, change.data);
  if (unknown.length > 0)
    return reject(
      change,
      `invalid ${p.table} row: unknown column${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} ` +
        `(not in the ${p.table} columns of the protocol this agent names; upgrade central or the agent)`,
    );
  const parsed = parseRow(p, { id: change.entityId, ...change.data });
  if (!parsed.success) return reject(change, `invalid ${p.table} row: ${describeZodError(parsed.error)}`);
  // A new object either way (the fast path's or zod's), so it is filled in below, not copied
  // first: a push's copies per change were a large part of its preparation (issue 15).
  const row = parsed.data as Record<string, unknown>;
  if (row.id !== change.entityId)
    return reject(change, `data.id ${String(row.id)} differs from entityId ${change.entityId}`);
  // From here on the change carries only what its row schema accepted: the conflict log and
  // the answer never see a column or a value the policy does not allow (taken before the
  // row is filled in).
  const clean = { ...change, data: { ...row } };
  const owned = claimNewRow(p, terminal, row);
  if (owned) return reject(change, owned);
  // Columns the policy fills from the change's envelope when the till left them empty
  // (sale_orders.created_in_mode: the mode the till was in when it made the change).
  for (const c of p.columns) if (c.fromChange && row[c.name] == null) row[c.name] = change[c.fromChange];
  return { ok: true, value: { change: clean, policy: p, row: normaliseForCentral(p, row), baseRow: base.row } };
}

/**
 * The owner columns of a row as the terminal sends it (G8): its own terminal id (filled in
 * when the till left it empty) and its own store. Whether the row central already holds is
 * the terminal's is decided later, in the transaction (sync/push-ownership.ts).
 */
function claimNewRow(p: TablePolicy, terminal: TerminalIdentity, row: Record<string, unknown>): string | undefined {
  const o = p.owner;
  if (!o) return undefined;
  if (o.terminal) {
    if (row[o.terminal] != null && row[o.terminal] !== terminal.id)
      return `terminal ${terminal.id} cannot write rows of terminal ${String(row[o.terminal])} (${o.terminal})`;
    row[o.terminal] = terminal.id;
  }
  if (o.store && row[o.store] !== terminal.storeId)
    return `terminal ${terminal.id} belongs to store ${terminal.storeId}, not ${String(row[o.store])} (${o.store})`;
  return undefined;
}

/**
 * The terminal's previous values (UPDATE/DELETE). Only merge fields are used (MERGE turns
 * them into deltas), so only they are read, each against its column's domain.
 */
function prepareBase(
  p: TablePolicy,
  change: PushChange,
): { ok: true; row: Record<string, unknown> | null } | { ok: false; reason: string } {
  if (!change.baseData || p.mergeFields.length === 0) return { ok: true, row: null };
  const row: Record<string, unknown> = {};
  for (const f of p.mergeFields) {
    const col = p.columns.find((c) => c.name === f)!;
    const v = change.baseData[f];
    if (v == null) continue;
    const r = columnSchema(col).safeParse(v);
    if (!r.success) return { ok: false, reason: `invalid ${p.table} baseData: ${f}: ${r.error.issues[0]!.message}` };
    row[f] = r.data;
  }
  return { ok: true, row };
}

/** The columns of a table with a database default, once per table policy. */
const defaultedColumns = new WeakMap<TablePolicy, ReadonlySet<string>>();

/**
 * Central owns `version`; a null for a column with a database default means "the default".
 * A copy built without those keys rather than a copy with them deleted: `delete` turns an
 * object into a slow dictionary, and every later step of the push reads these rows.
 */
export function normaliseForCentral(p: TablePolicy, row: Record<string, unknown>): Record<string, unknown> {
  let defaulted = defaultedColumns.get(p);
  if (!defaulted)
    defaultedColumns.set(p, (defaulted = new Set(p.columns.filter((c) => c.defaulted).map((c) => c.name))));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(row)) {
    const v = row[k];
    if (k === "version" || (v == null && defaulted.has(k))) continue;
    out[k] = v;
  }
  return out;
}
