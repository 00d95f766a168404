import type { TablePolicy } from "@tillsync/shared";

/** Pieces of SQL every generated terminal trigger shares (capture, ledger, local edits). */

/** The agent's own writes run with capture_control.applying = 1 (G7); triggers skip them. */
export const NOT_APPLYING = "(SELECT applying FROM capture_control WHERE id = 1) IS NOT 1";
/**
 * A ledger trigger is moving a counter (capture_control row 2 exists only inside that trigger's
 * statement, never committed): the stock display trigger's write of inventory_items is not a
 * direct edit of the counter, and a direct edit's ledger row must not move the counter again.
 */
export const LEDGER_MOVING = "EXISTS (SELECT 1 FROM capture_control WHERE id = 2)";
export const MARK_LEDGER_MOVING = "INSERT OR REPLACE INTO capture_control (id, applying) VALUES (2, 0);";
export const CLEAR_LEDGER_MOVING = "DELETE FROM capture_control WHERE id = 2;";

/** A SQL string literal. */
export function q(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A row a trigger can read: the written row (NEW / OLD), or its parent looked up by alias. */
export type RowRef = "NEW" | "OLD" | "parent";

export function jsonRow(p: TablePolicy, ref: "NEW" | "OLD"): string {
  const pairs = p.columns.map((c) => {
    const v =
      c.type.kind === "bool"
        ? `CASE WHEN ${ref}.${c.name} THEN json('true') ELSE json('false') END`
        : `${ref}.${c.name}`;
    return `${q(c.name)}, ${v}`;
  });
  return `json_object(${pairs.join(", ")})`;
}

export function hasVersion(p: TablePolicy): boolean {
  return p.columns.some((c) => c.name === "version");
}
