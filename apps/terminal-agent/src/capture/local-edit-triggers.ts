import { ledgerTables, type SyncPolicy, type TablePolicy } from "@tillsync/shared";
import { jsonRow, LEDGER_MOVING, NOT_APPLYING, q } from "./trigger-sql";

/**
 * Triggers that note a till's own write of a central-owned table (direction
 * CENTRAL_TO_TERMINAL: catalogue, stock rows) in `local_edits`, with central's row as the till
 * had it before its first edit (NULL for a row the till made up). Such a write is never pushed:
 * the next pull puts central's row back (sync/discard-local-edits.ts) and `status` counts it,
 * instead of the till drifting from central for ever. The counter column of a ledger with a
 * `directEdit` rule is no local edit: that write becomes a ledger row (capture-triggers.ts).
 * Writes of the agent (applying) and of a ledger trigger (LEDGER_MOVING) are not the till's.
 */
export function localEditTriggers(policy: SyncPolicy): string[] {
  const counted = new Map<string, string>();
  for (const l of ledgerTables(policy))
    if (l.ledger.directEdit) counted.set(l.ledger.counterTable, l.ledger.counterColumn);
  return Object.values(policy)
    .filter((p) => p.direction === "CENTRAL_TO_TERMINAL")
    .flatMap((p) => tableTriggers(p, counted.get(p.table)));
}

/** Notes the edit unless one is already waiting for this row (its central row is the first one's). */
function note(p: TablePolicy, ref: "NEW" | "OLD", centralRow: string): string {
  return `  INSERT INTO local_edits (entity_type, entity_id, central_data)
  SELECT ${q(p.table)}, ${ref}.id, ${centralRow}
   WHERE NOT EXISTS (SELECT 1 FROM local_edits WHERE entity_type = ${q(p.table)} AND entity_id = ${ref}.id AND discarded_at IS NULL);`;
}

function tableTriggers(p: TablePolicy, counterColumn: string | undefined): string[] {
  const t = p.table;
  const when = `WHEN ${NOT_APPLYING} AND NOT ${LEDGER_MOVING}`;
  const changed = p.columns
    .filter((c) => c.name !== "version" && c.name !== counterColumn)
    .map((c) => `NEW.${c.name} IS NOT OLD.${c.name}`)
    .join(" OR ");
  const out = [
    `CREATE TRIGGER tillsync_local_edit_${t}_update AFTER UPDATE ON ${t}
${when} AND (${changed})
BEGIN
${note(p, "OLD", jsonRow(p, "OLD"))}
END;`,
    `CREATE TRIGGER tillsync_local_edit_${t}_delete AFTER DELETE ON ${t}
${when}
BEGIN
${note(p, "OLD", jsonRow(p, "OLD"))}
END;`,
  ];
  // A counter row the till adds is a movement (its quantity becomes a ledger row) and central's
  // row for the same key replaces it on pull (ledger-counters.ts); any other new row is an edit.
  if (counterColumn === undefined)
    out.push(`CREATE TRIGGER tillsync_local_edit_${t}_insert AFTER INSERT ON ${t}
${when}
BEGIN
${note(p, "NEW", "NULL")}
END;`);
  return out;
}
