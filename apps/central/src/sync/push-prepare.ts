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
  const unknown = holdsUnknownColumn(p, change.data) ? unknownColumns(p, change.data) : [];
  if (unknown.length > 0)
    return reject(
      change,
      `invalid ${p.table} row: unknown column${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} ` +
        `(not in the ${p.table} columns of the protocol this agent names; upgrade central or the agent)`,
    );
  // A row that names its id is checked as it came (the same keys and values as with the
  // envelope's id put first, which the row's own id overrides): one copy less per change.
  const input = Object.hasOwn(change.data, "id") ? change.data : { id: change.entityId, ...change.data };
  const parsed = parseRow(p, input);
  if (!parsed.success) return reject(change, `invalid ${p.table} row: ${describeZodError(parsed.error)}`);
  // A new object either way (the fast path's or zod's), never changed from here on: the
  // conflict log and the answer see only what its row schema accepted. What central writes
  // is the normalised copy, filled in below (a push's copies per change were a large part of
  // its preparation, issue 15).
  const accepted = parsed.data as Record<string, unknown>;
  if (accepted.id !== change.entityId)
    return reject(change, `data.id ${String(accepted.id)} differs from entityId ${change.entityId}`);
  const clean = { ...change, data: accepted };
  const row = normaliseForCentral(p, accepted);
  const owned = claimNewRow(p, terminal, accepted, row);
  if (owned) return reject(change, owned);
  // Columns the policy fills from the change's envelope when the till left them empty
  // (sale_orders.created_in_mode: the mode the till was in when it made the change); an
  // empty envelope value of a defaulted column stays out of the row, as normalising leaves it.
  for (const c of p.columns) {
    if (!c.fromChange || row[c.name] != null) continue;
    const v = change[c.fromChange];
    if (v != null || !c.defaulted) row[c.name] = v;
  }
  return { ok: true, value: { change: clean, policy: p, row, baseRow: base.row } };
}

/**
 * The owner columns of a row as the terminal sends it (G8): its own terminal id (filled in
 * when the till left it empty) and its own store. Whether the row central already holds is
 * the terminal's is decided later, in the transaction (sync/push-ownership.ts).
 */
function claimNewRow(
  p: TablePolicy,
  terminal: TerminalIdentity,
  sent: Record<string, unknown>,
  row: Record<string, unknown>,
): string | undefined {
  const o = p.owner;
  if (!o) return undefined;
  if (o.terminal) {
    if (sent[o.terminal] != null && sent[o.terminal] !== terminal.id)
      return `terminal ${terminal.id} cannot write rows of terminal ${String(sent[o.terminal])} (${o.terminal})`;
    row[o.terminal] = terminal.id;
  }
  if (o.store && sent[o.store] !== terminal.storeId)
    return `terminal ${terminal.id} belongs to store ${terminal.storeId}, not ${String(sent[o.store])} (${o.store})`;
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

/** The column names of a table, once per table policy. */
const columnNames = new WeakMap<TablePolicy, ReadonlySet<string>>();

/**
 * Whether `data` has a key that is not a column of the table: unknownColumns names them, but
 * builds its set of names per call (~1,000 calls a batch), so it runs only when there is one.
 */
function holdsUnknownColumn(p: TablePolicy, data: Record<string, unknown>): boolean {
  let names = columnNames.get(p);
  if (!names) columnNames.set(p, (names = new Set(p.columns.map((c) => c.name))));
  for (const k of Object.keys(data)) if (!names.has(k)) return true;
  return false;
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
