import {
  capturedTables,
  DEFAULT_SYNC_POLICY,
  ledgerTables,
  validatePolicy,
  type LedgerRule,
  type PriorityRule,
  type SyncPolicy,
  type TablePolicy,
} from "@tillsync/shared";
import { OPEN_SQL, statusSql } from "../outbox/outbox-status-sql";
import { IN_TAIL_SQL, NOT_INDEXED, tailBoundTriggerSql } from "./captured-tail";
import { localEditTriggers } from "./local-edit-triggers";
import { changeIdSql, NEXT_OUTBOX_ID_SQL } from "./outbox-ids";
import {
  CLEAR_LEDGER_MOVING,
  hasVersion,
  jsonRow,
  LEDGER_MOVING,
  MARK_LEDGER_MOVING,
  NOT_APPLYING,
  q,
  type RowRef,
} from "./trigger-sql";

/**
 * Generates the terminal's capture triggers from the sync policy. The SQL is committed as a
 * migration (scripts/create-migration.ts) and a test checks the committed copy still equals
 * what the policy generates, so the policy stays the single source.
 *
 * Why triggers: the till software writes plain SQL from its own process, and only a trigger
 * puts the outbox row in the same transaction as the write (a rolled-back sale leaves none).
 * Why `capture_control.applying`: the agent sets it to 1 inside its own transactions (rows
 * applied from central, version updates after a push); other connections never see that
 * uncommitted 1, so their writes are still captured (G7 without losing anything).
 */

const MODE = "coalesce((SELECT value FROM sync_state WHERE key = 'mode'), 'ONLINE')";
/**
 * A change id made on an outbox row (OutboxStore.settle re-issues one): it carries the row's
 * `id` (capture/outbox-ids.ts), so no unique index is needed to keep it unique.
 */
export const UUID_SQL = changeIdSql("id");

function priorityExpr(policy: SyncPolicy, p: TablePolicy, ref: RowRef): string {
  const rule: PriorityRule = p.priority;
  switch (rule.kind) {
    case "fixed":
      return String(rule.priority);
    case "byColumn": {
      const whens = Object.entries(rule.values)
        .map(([v, prio]) => `WHEN ${q(v)} THEN ${prio}`)
        .join(" ");
      return `CASE ${ref}.${rule.column} ${whens} ELSE ${rule.otherwise} END`;
    }
    case "asParent":
      return parentPriorityExpr(policy, p, ref);
  }
}

/**
 * A child takes its parent's priority (an order line is CRITICAL once its order is
 * COMPLETED). The parent's rule is written for the parent's own trigger, where the row is
 * NEW; inside the child's trigger NEW is the child, so the rule is evaluated on `parent`, the
 * alias of the subquery that finds the parent row by the child's foreign key. When the parent
 * is not in this database (yet), its rule's fallback applies: `otherwise` of a byColumn rule.
 */
function parentPriorityExpr(policy: SyncPolicy, p: TablePolicy, ref: RowRef): string {
  if (!p.parent) throw new Error(`sync policy: ${p.table} has priority asParent but no parent`);
  const parent = policy[p.parent.table];
  const parentRule = parent.priority;
  // `parent` names one alias: a chain (the parent's own priority asParent) would need one per level.
  if (parentRule.kind === "asParent")
    throw new Error(`sync policy: ${p.table}'s parent ${parent.table} is asParent too`);
  const expr = priorityExpr(policy, parent, "parent");
  const fallback = parentRule.kind === "byColumn" ? String(parentRule.otherwise) : expr;
  return `coalesce((SELECT ${expr} FROM ${parent.table} AS parent WHERE parent.id = ${ref}.${p.parent.foreignKey}), ${fallback})`;
}

function changedCondition(p: TablePolicy): string {
  // A no-op UPDATE (same values) is not a change worth syncing. `version` alone changing is
  // the agent recording central's version, which happens under `applying` anyway.
  return p.columns
    .filter((c) => c.name !== "version")
    .map((c) => `NEW.${c.name} IS NOT OLD.${c.name}`)
    .join(" OR ");
}

/**
 * An outbox entry that has never been offered to central (no attempt yet) may absorb later
 * changes to the same row: central cannot have seen its change id, so folding keeps G1.
 * Anything already sent (even if it went back to PENDING after a network error) is left as
 * it is, because central may have applied it under that id.
 */
function unsent(p: TablePolicy, ref: "NEW" | "OLD", ops: string): string {
  // The row's newest change may be in the entity index or still in the captured tail
  // (captured-tail.ts): both are read. OPEN_SQL repeats the partial entity index's predicate
  // (outbox-indexes.ts): SQLite uses a partial index only when the query's WHERE spells its
  // condition out. The tail is a rowid range (`+` keeps the other indexes out of it).
  const row = `entity_type = ${q(p.table)} AND entity_id = ${ref}.id`;
  const open = `+status = ${statusSql("PENDING")} AND last_attempt_at IS NULL AND operation IN (${ops})`;
  return `SELECT id FROM (SELECT id FROM outbox WHERE ${row} AND ${OPEN_SQL} AND ${open}
     UNION ALL SELECT id FROM outbox WHERE ${IN_TAIL_SQL} AND +${row} AND ${open}) ORDER BY id DESC LIMIT 1`;
}

function outboxInsert(policy: SyncPolicy, p: TablePolicy, op: "CREATE" | "UPDATE" | "DELETE", where = ""): string {
  const ref = op === "DELETE" ? "OLD" : "NEW";
  const data = op === "DELETE" ? "NULL" : jsonRow(p, "NEW");
  const baseData = op === "CREATE" ? "NULL" : jsonRow(p, "OLD");
  const base = op === "CREATE" || !hasVersion(p) ? "NULL" : `nullif(OLD.version, 0)`;
  // The id is chosen here, not by SQLite, so that it never repeats and the change id carries it.
  // Into the captured tail, not the entity index (captured-tail.ts).
  return `  INSERT INTO outbox (id, change_id, entity_type, entity_id, operation, data, base_data, base_version, sync_priority, created_in_mode, confirmed)
  SELECT n.id, ${changeIdSql("n.id")}, ${q(p.table)}, ${ref}.id, ${q(op)}, ${data}, ${baseData}, ${base}, ${priorityExpr(policy, p, ref)}, ${MODE}, ${NOT_INDEXED}
   FROM (SELECT ${NEXT_OUTBOX_ID_SQL} AS id) AS n${where};`;
}

/**
 * A fold's base for the merge fields (G4), so that data − base_data stays the sum of the
 * terminal's own edits. Between two edits the agent may have shown central's newer value
 * (central's value + the unconfirmed deltas, on pull): the row then moved by what other
 * terminals added, which is not this terminal's delta. So the base moves with it: new base =
 * OLD − (the delta folded so far); without a pull in between OLD equals data and the base
 * stays. A CREATE has no base: its data is the whole row, which central has never seen.
 * (SQLite evaluates every SET expression on the row as it was before the UPDATE.)
 */
function foldedBase(p: TablePolicy): string {
  if (p.mergeFields.length === 0) return "base_data";
  const n = (expr: string) => `coalesce(${expr}, 0)`;
  const sets = p.mergeFields.map(
    (f) =>
      `${q(`$.${f}`)}, ${n(`OLD.${f}`)} - (${n(`json_extract(data, ${q(`$.${f}`)})`)} - ${n(`json_extract(base_data, ${q(`$.${f}`)})`)})`,
  );
  return `CASE WHEN base_data IS NULL THEN NULL ELSE json_set(base_data, ${sets.join(", ")}) END`;
}

/**
 * UPDATE: fold into an unsent CREATE/UPDATE of the row (keeping its base, see foldedBase), else
 * append. One lookup, not two: `changes()` inside a trigger body counts the rows the body's
 * previous statement changed (SQLite's trigger context), so the INSERT runs only when the
 * fold found nothing to fold into.
 */
function updateBody(policy: SyncPolicy, p: TablePolicy): string {
  const pending = unsent(p, "NEW", "'CREATE', 'UPDATE'");
  return `  UPDATE outbox SET data = ${jsonRow(p, "NEW")}, base_data = ${foldedBase(p)}, sync_priority = ${priorityExpr(policy, p, "NEW")}
   WHERE id = (${pending});
${outboxInsert(policy, p, "UPDATE", `\n   WHERE changes() = 0`)}
${childPriorityBump(policy, p)}`;
}

/**
 * DELETE: an unsent UPDATE becomes the DELETE (its base is the row central knows); an unsent
 * CREATE and the DELETE cancel out (central never hears of the row); otherwise append.
 */
function deleteBody(policy: SyncPolicy, p: TablePolicy): string {
  return `  UPDATE outbox SET operation = 'DELETE', data = NULL
   WHERE id = (${unsent(p, "OLD", "'UPDATE'")});
${outboxInsert(policy, p, "DELETE", `\n   WHERE NOT EXISTS (${unsent(p, "OLD", "'CREATE', 'DELETE'")})`)}
  DELETE FROM outbox WHERE id = (${unsent(p, "OLD", "'CREATE'")});`;
}

/**
 * Children whose priority follows their parent (order lines) move with it: when an order
 * becomes COMPLETED its unsent lines become CRITICAL too.
 */
function childPriorityBump(policy: SyncPolicy, p: TablePolicy): string {
  const out: string[] = [];
  for (const child of capturedTables(policy)) {
    if (child.priority.kind !== "asParent" || child.parent?.table !== p.table) continue;
    // The lines' changes in the entity index, then those still in the captured tail.
    const lines = `entity_id IN (SELECT id FROM ${child.table} WHERE ${child.parent.foreignKey} = NEW.id)`;
    for (const where of [
      `entity_type = ${q(child.table)} AND ${OPEN_SQL} AND +status = ${statusSql("PENDING")} AND ${lines}`,
      `${IN_TAIL_SQL} AND +entity_type = ${q(child.table)} AND +status = ${statusSql("PENDING")} AND +${lines}`,
    ])
      out.push(`  UPDATE outbox SET sync_priority = ${priorityExpr(policy, p, "NEW")}
   WHERE ${where};`);
  }
  return out.join("\n");
}

function tableTriggers(policy: SyncPolicy, p: TablePolicy): string[] {
  const t = p.table;
  const out: string[] = [];
  out.push(`CREATE TRIGGER tillsync_capture_${t}_insert AFTER INSERT ON ${t}
WHEN ${NOT_APPLYING}
BEGIN
${outboxInsert(policy, p, "CREATE")}
END;`);
  if (p.appendOnly) {
    // Each adjustment is applied at central exactly once; editing one afterwards would make
    // central and the till disagree for ever. Corrections are new adjustments.
    for (const ev of ["UPDATE", "DELETE"] as const) {
      out.push(`CREATE TRIGGER tillsync_append_only_${t}_${ev.toLowerCase()} BEFORE ${ev} ON ${t}
WHEN ${NOT_APPLYING}
BEGIN
  SELECT RAISE(ABORT, '${t} is append-only: record a correcting adjustment instead');
END;`);
    }
  } else {
    out.push(`CREATE TRIGGER tillsync_capture_${t}_update AFTER UPDATE ON ${t}
WHEN ${NOT_APPLYING} AND (${changedCondition(p)})
BEGIN
${updateBody(policy, p)}
END;`);
    out.push(`CREATE TRIGGER tillsync_capture_${t}_delete AFTER DELETE ON ${t}
WHEN ${NOT_APPLYING}
BEGIN
${deleteBody(policy, p)}
END;`);
  }
  return out;
}

/**
 * What the till shows for a ledger's counter = central's last value + this terminal's ledger
 * rows not yet folded into it (G4): each local entry (a stock adjustment) moves the displayed
 * counter (inventory_items.quantity) at once, creating the counter row on first use; the pull
 * path recomputes it from central's value and the still-unconfirmed entries. One trigger per
 * LedgerRule of the policy. It marks its write as a ledger's (LEDGER_MOVING), so the counter
 * table's direct-edit and local-edit triggers leave it alone.
 */
function ledgerDisplayTrigger(policy: SyncPolicy, p: TablePolicy, l: LedgerRule): string {
  const keyCols = Object.values(l.key);
  const withVersion = hasVersion(policy[l.counterTable]);
  const cols = [...keyCols, l.counterColumn, ...(withVersion ? ["version"] : [])];
  const values = [...Object.keys(l.key).map((c) => `NEW.${c}`), `NEW.${l.deltaColumn}`, ...(withVersion ? ["0"] : [])];
  return `CREATE TRIGGER tillsync_ledger_${p.table}_insert AFTER INSERT ON ${p.table}
WHEN ${NOT_APPLYING} AND NOT ${LEDGER_MOVING}
BEGIN
  ${MARK_LEDGER_MOVING}
  INSERT INTO ${l.counterTable} (${cols.join(", ")})
  VALUES (${values.join(", ")})
  ON CONFLICT (${keyCols.join(", ")}) DO UPDATE SET ${l.counterColumn} = ${l.counterColumn} + excluded.${l.counterColumn};
  ${CLEAR_LEDGER_MOVING}
END;`;
}

/**
 * A till's direct write of a ledger's counter (`UPDATE inventory_items SET quantity = 7`, or a
 * new counter row with a quantity) becomes a ledger row in the same transaction (the policy's
 * `directEdit`: delta = new − old, reason COUNT), which capture then sends like any other
 * movement, exactly once (G1, G4). The counter already shows the new value, so the ledger
 * row is written as LEDGER_MOVING and the display trigger does not add its delta again. The
 * counter row itself is central's: its direct edit is never pushed as such.
 */
function ledgerDirectEditTriggers(p: TablePolicy, l: LedgerRule): string[] {
  if (!l.directEdit) return [];
  const fixed = Object.entries(l.directEdit);
  const cols = [...Object.keys(l.key), l.deltaColumn, ...fixed.map(([c]) => c)].join(", ");
  const values = (delta: string) =>
    [...Object.values(l.key).map((c) => `NEW.${c}`), delta, ...fixed.map(([, v]) => q(v))].join(", ");
  const body = (delta: string) => `BEGIN
  ${MARK_LEDGER_MOVING}
  INSERT INTO ${p.table} (${cols}) VALUES (${values(delta)});
  ${CLEAR_LEDGER_MOVING}
END;`;
  const n = l.counterColumn;
  const guard = `${NOT_APPLYING} AND NOT ${LEDGER_MOVING}`;
  return [
    `CREATE TRIGGER tillsync_ledger_${l.counterTable}_direct_update AFTER UPDATE OF ${n} ON ${l.counterTable}
WHEN ${guard} AND NEW.${n} IS NOT OLD.${n}
${body(`coalesce(NEW.${n}, 0) - coalesce(OLD.${n}, 0)`)}`,
    `CREATE TRIGGER tillsync_ledger_${l.counterTable}_direct_insert AFTER INSERT ON ${l.counterTable}
WHEN ${guard} AND coalesce(NEW.${n}, 0) <> 0
${body(`NEW.${n}`)}`,
  ];
}

/**
 * Triggers earlier migrations created under names the generator no longer uses: dropped so a
 * renamed trigger cannot fire twice. (The stock display trigger became the per-ledger one.)
 */
const RETIRED_TRIGGERS = ["tillsync_stock_display_adjustment"];

/** The complete capture SQL for a policy: triggers plus the control row they read. */
export function captureTriggerSql(policy: SyncPolicy = DEFAULT_SYNC_POLICY): string {
  validatePolicy(policy);
  const parts: string[] = [
    "-- Generated from the sync policy by apps/terminal-agent/src/capture/capture-triggers.ts.",
    "-- Do not edit: change the policy and create a new migration.",
    "INSERT OR IGNORE INTO capture_control (id, applying) VALUES (1, 0);",
  ];
  const triggers = [
    ...capturedTables(policy).flatMap((p) => tableTriggers(policy, p)),
    ...ledgerTables(policy).flatMap((p) => [
      ledgerDisplayTrigger(policy, p, p.ledger),
      ...ledgerDirectEditTriggers(p, p.ledger),
    ]),
    ...localEditTriggers(policy),
    tailBoundTriggerSql(),
  ];
  const names = [...RETIRED_TRIGGERS, ...triggers.map((t) => /^CREATE TRIGGER (\w+)/.exec(t)![1]!)];
  // Idempotent: a later migration replaces the triggers an earlier one created.
  for (const name of names) parts.push(`DROP TRIGGER IF EXISTS ${name};`);
  parts.push(...triggers);
  return parts.join("\n\n") + "\n";
}
