import {
  DEFAULT_SYNC_POLICY,
  resolveConflictRequestSchema,
  rowSchemas,
  type ColumnSpec,
  type ConflictEntry,
  type OperatorResolution,
  type WireRow,
} from "@tillsync/shared/browser";
import type { z } from "zod";

/**
 * The resolve form of a pending MANUAL_MERGE conflict: keep central's row, take the
 * terminal's, or send an edited row. The row is checked with the table's shared row schema
 * (the same one central applies) before anything is sent, so a mistyped price is caught here
 * with the field named.
 */

/** What the form holds per column: text as typed, or a checkbox's state. */
export type Draft = Record<string, string | boolean>;

export type ResolveRequest = z.input<typeof resolveConflictRequestSchema>;

export type ResolveCheck =
  { ok: true; request: ResolveRequest } | { ok: false; message: string; fieldErrors: Record<string, string> };

/** Central manages these; the form shows them but never sends an edit of them. */
export const READ_ONLY_FIELDS = ["id", "version"] as const;

export function editableColumns(table: ConflictEntry["entityType"]): readonly ColumnSpec[] {
  return DEFAULT_SYNC_POLICY[table].columns;
}

/** The form's starting values from a row (usually central's side, or the terminal's). */
export function draftFromRow(table: ConflictEntry["entityType"], row: WireRow | null): Draft {
  const draft: Draft = {};
  for (const col of editableColumns(table)) {
    const v = row?.[col.name];
    draft[col.name] = col.type.kind === "bool" ? v === true || v === 1 : v === null || v === undefined ? "" : String(v);
  }
  return draft;
}

/** One field as typed → its wire value: blank is null where the column allows it, integers are numbers. */
export function fieldValue(col: ColumnSpec, raw: string | boolean): unknown {
  if (typeof raw === "boolean") return raw;
  const s = col.type.kind === "text" ? raw : raw.trim();
  if (s === "" && col.optional) return null;
  if (col.type.kind === "int" && /^-?\d+$/.test(s)) return Number(s);
  return s;
}

export function rowFromDraft(table: ConflictEntry["entityType"], draft: Draft, entityId: string): WireRow {
  const row: WireRow = {};
  for (const col of editableColumns(table)) {
    if ((READ_ONLY_FIELDS as readonly string[]).includes(col.name)) continue;
    const raw = draft[col.name];
    if (raw !== undefined) row[col.name] = fieldValue(col, raw);
  }
  return { ...row, id: entityId };
}

function fieldErrorsOf(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "(row)");
    // zod 4 leaves the input out of issues; a missing field reads "is required" in the shared
    // row schemas (or zod's own "received undefined").
    const missing =
      issue.code === "invalid_type" && (issue.message === "is required" || /received undefined$/.test(issue.message));
    const notANumber = issue.code === "invalid_type" && issue.expected === "number";
    out[field] ??= missing
      ? "is required"
      : notANumber
        ? "must be a whole number (no decimals or separators)"
        : issue.message;
  }
  return out;
}

type RowCheck = { valid: true; row: WireRow } | { valid: false; failure: ResolveCheck & { ok: false } };

function checkRow(conflict: ConflictEntry, row: WireRow, what: string): RowCheck {
  const parsed = rowSchemas[conflict.entityType].safeParse({ ...row, id: conflict.entityId });
  if (parsed.success) return { valid: true, row: parsed.data as WireRow };
  const fieldErrors = fieldErrorsOf(parsed.error);
  const list = Object.entries(fieldErrors).map(([f, m]) => `${f}: ${m}`);
  const message = `${what} does not fit ${conflict.entityType}: ${list.join("; ")}`;
  return { valid: false, failure: { ok: false, message, fieldErrors } };
}

/** Checks a choice and builds the POST /api/sync/resolve body, or says what is wrong. */
export function checkResolution(
  conflict: ConflictEntry,
  resolution: OperatorResolution,
  draft: Draft | null,
  reason: string,
): ResolveCheck {
  if (conflict.status !== "PENDING")
    return { ok: false, message: `This conflict is already ${conflict.status}.`, fieldErrors: {} };
  const base = { conflictId: conflict.id, resolution, ...(reason.trim() ? { reason: reason.trim() } : {}) };
  if (resolution === "KEEP_CENTRAL") return { ok: true, request: base };
  if (resolution === "TAKE_TERMINAL") {
    if (conflict.terminalData === null) return { ok: true, request: base };
    const checked = checkRow(conflict, conflict.terminalData, "The terminal's row");
    return checked.valid ? { ok: true, request: base } : checked.failure;
  }
  if (!draft) return { ok: false, message: "Edit the merged row first.", fieldErrors: {} };
  const checked = checkRow(conflict, rowFromDraft(conflict.entityType, draft, conflict.entityId), "The merged row");
  return checked.valid ? { ok: true, request: { ...base, resolvedData: checked.row } } : checked.failure;
}
