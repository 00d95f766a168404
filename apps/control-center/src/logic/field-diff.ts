import { DEFAULT_SYNC_POLICY, SYNC_TABLES, type SyncTable, type WireRow } from "@tillsync/shared/browser";

/**
 * A conflict's two sides, field by field: which fields the terminal changed against central's
 * row, which exist on one side only, and (once resolved) what was written.
 */

export type DiffKind = "same" | "changed" | "only-terminal" | "only-central";

export interface FieldDiffRow {
  field: string;
  central: unknown;
  terminal: unknown;
  /** The resolved row's value, when the conflict has one. */
  resolved?: unknown;
  kind: DiffKind;
}

/** JSON with object keys sorted, so {a,b} equals {b,a}. */
function canonical(value: unknown): string {
  if (value === undefined) return "undefined";
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** The table's declared columns first, in policy order, then any other field sorted by name. */
function fieldOrder(table: string, rows: Array<WireRow | null | undefined>): string[] {
  const declared = SYNC_TABLES.includes(table as SyncTable)
    ? DEFAULT_SYNC_POLICY[table as SyncTable].columns.map((c) => c.name)
    : [];
  const present = new Set(rows.flatMap((r) => (r ? Object.keys(r) : [])));
  const extra = [...present].filter((f) => !declared.includes(f)).sort();
  return [...declared.filter((f) => present.has(f)), ...extra];
}

function kindOf(central: WireRow | null, terminal: WireRow | null, field: string): DiffKind {
  const inCentral = central !== null && field in central;
  const inTerminal = terminal !== null && field in terminal;
  if (inCentral && !inTerminal) return "only-central";
  if (inTerminal && !inCentral) return "only-terminal";
  return sameValue(central?.[field], terminal?.[field]) ? "same" : "changed";
}

/**
 * Compares central's row with the terminal's. A null side is a row that does not exist there
 * (central had none; the terminal deleted it).
 */
export function fieldDiff(
  table: string,
  central: WireRow | null,
  terminal: WireRow | null,
  resolved?: WireRow | null,
): FieldDiffRow[] {
  return fieldOrder(table, [central, terminal, resolved]).map((field) => ({
    field,
    central: central?.[field],
    terminal: terminal?.[field],
    ...(resolved ? { resolved: resolved[field] } : {}),
    kind: kindOf(central, terminal, field),
  }));
}

/** How many fields differ between the two sides (the console's "3 fields differ"). */
export function changedFieldCount(rows: FieldDiffRow[]): number {
  return rows.filter((r) => r.kind !== "same").length;
}
