import {
  centralFieldsOf,
  type ConflictOutcomeKind,
  type ConflictStrategy,
  type Operation,
  type TablePolicy,
} from "@tillsync/shared";

/**
 * The push-time decision for one change (operator resolution of a held conflict is
 * sync/operator-resolution.ts). Pure: the round around it (sync/push-round.ts) feeds it
 * central's locked row and writes the outcome.
 */

/** What central decided for one incoming change against the row it holds. */
export type Decision =
  | { kind: "insert"; row: Record<string, unknown>; conflict?: undefined }
  | { kind: "update"; row: Record<string, unknown>; conflict?: ConflictOutcome }
  | { kind: "delete"; conflict?: ConflictOutcome }
  /** Nothing to write (central's row stays, a DELETE of a missing row, a repeated append). */
  | { kind: "keep"; conflict?: ConflictOutcome };

export interface ConflictOutcome {
  strategy: ConflictStrategy;
  resolution: ConflictOutcomeKind;
  /** Columns the terminal sent another value of that central kept (answered as `keptFields`). */
  keptFields?: string[];
}

export interface DecisionInput {
  policy: TablePolicy;
  operation: Operation;
  /** Normalised row from the terminal (null for DELETE). */
  row: Record<string, unknown> | null;
  baseRow: Record<string, unknown> | null;
  baseVersion: number | null;
  /** Central's current row, or undefined when it has none. */
  current: Record<string, unknown> | undefined;
}

/**
 * A change conflicts when the terminal edited a version of the row that is no longer
 * central's. Rows terminals create and own (terminal→central tables) carry no base until the
 * first push comes back, so a missing base there is not a conflict.
 */
export function isConflict(input: DecisionInput): boolean {
  const { current, baseVersion, policy } = input;
  if (!current) return false;
  if (baseVersion === null) return policy.direction !== "TERMINAL_TO_CENTRAL";
  return baseVersion !== Number(current.version);
}

/**
 * MERGE: fields in `mergeFields` combine as deltas (central's value + what the terminal added
 * since its base); every other field keeps central's value.
 */
export function mergeRow(
  policy: TablePolicy,
  current: Record<string, unknown>,
  row: Record<string, unknown>,
  baseRow: Record<string, unknown> | null,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const c of policy.columns) if (c.name !== "version" && c.name in current) merged[c.name] = current[c.name];
  return withDeltas(policy, merged, current, row, baseRow);
}

/**
 * `target` with each merge field set to central's value + the terminal's delta (G4). Also
 * without a conflict: a terminal's value is its last view of central plus its own changes not
 * yet confirmed, and those travel in their own changes; taking the value as it stands would
 * count them twice, and drop what other terminals added since. Without a base the terminal's
 * contribution is unknowable; central's value stands.
 */
function withDeltas(
  policy: TablePolicy,
  target: Record<string, unknown>,
  current: Record<string, unknown>,
  row: Record<string, unknown>,
  baseRow: Record<string, unknown> | null,
): Record<string, unknown> {
  const out = { ...target };
  for (const f of policy.mergeFields) {
    const mine = Number(row[f] ?? 0);
    const base = baseRow && baseRow[f] != null ? Number(baseRow[f]) : undefined;
    if (base !== undefined) out[f] = Number(current[f] ?? 0) + (mine - base);
    else if (f in current) out[f] = current[f];
    else delete out[f];
  }
  return out;
}

/** One column's value as central holds it and as a terminal sent it, compared (a Date against its ISO text). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    const t = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === "string" ? Date.parse(v) : NaN);
    return t(a) === t(b);
  }
  return (a ?? null) === (b ?? null);
}

/** The columns of `row` whose value differs from central's row (version aside). */
function differing(
  row: Record<string, unknown>,
  current: Record<string, unknown>,
  among?: readonly string[],
): string[] {
  const cols = among ?? Object.keys(row).filter((c) => c !== "id" && c !== "version");
  return cols.filter((c) => c in row && !sameValue(row[c], current[c]));
}

/**
 * Field ownership (the policy's centralFields): an update of a row central holds never changes
 * a central-owned column. `terminalRow` is what the terminal sent (a changed central field is
 * reported from it), `decision` what would be written; those fields take central's values (and
 * the terminal's upsert never sets them anyway). With nothing else left to change, nothing is
 * written at all.
 */
function withCentralFields(
  policy: TablePolicy,
  terminalRow: Record<string, unknown>,
  current: Record<string, unknown>,
  decision: Extract<Decision, { kind: "update" }>,
): Decision {
  const kept = differing(terminalRow, current, centralFieldsOf(policy));
  if (kept.length === 0) return decision;
  // Central's values, not absent columns: the upsert's insert half still needs every NOT NULL one.
  const row = { ...decision.row };
  for (const f of kept) row[f] = current[f];
  const conflict: ConflictOutcome = decision.conflict
    ? { ...decision.conflict, keptFields: kept }
    : { strategy: "CENTRAL_WINS", resolution: "CENTRAL_KEPT", keptFields: kept };
  if (differing(row, current).length === 0)
    return { kind: "keep", conflict: { ...conflict, resolution: "CENTRAL_KEPT" } };
  return { kind: "update", row, conflict };
}

/** The pure decision for one change; the caller writes the outcome set-based. */
export function decide(input: DecisionInput): Decision {
  const d = decideWhole(input);
  if (d.kind !== "update" || !input.current || !input.row) return d;
  return withCentralFields(input.policy, input.row, input.current, d);
}

/** The decision by the table's strategy, as if the terminal owned every column. */
function decideWhole(input: DecisionInput): Decision {
  const { policy, operation, row, current } = input;
  if (policy.appendOnly) return current ? { kind: "keep" } : { kind: "insert", row: row! };

  if (operation === "DELETE") {
    if (!current) return { kind: "keep" };
    if (!isConflict(input)) return { kind: "delete" };
    switch (policy.strategy) {
      case "TERMINAL_WINS":
        return { kind: "delete", conflict: { strategy: policy.strategy, resolution: "TERMINAL_APPLIED" } };
      case "MANUAL_MERGE":
        return { kind: "keep", conflict: { strategy: policy.strategy, resolution: "PENDING" } };
      default:
        // A row central changed since the terminal saw it survives the terminal's delete.
        return { kind: "keep", conflict: { strategy: policy.strategy, resolution: "CENTRAL_KEPT" } };
    }
  }

  if (!current) return { kind: "insert", row: policy.strategy === "MERGE" ? ownDeltasOnly(input) : row! };
  if (!isConflict(input)) {
    const merging = policy.strategy === "MERGE";
    return { kind: "update", row: merging ? withDeltas(policy, row!, current, row!, input.baseRow) : row! };
  }
  switch (policy.strategy) {
    case "TERMINAL_WINS":
      return { kind: "update", row: row!, conflict: { strategy: "TERMINAL_WINS", resolution: "TERMINAL_APPLIED" } };
    case "CENTRAL_WINS":
      return {
        kind: "keep",
        conflict: { strategy: "CENTRAL_WINS", resolution: "CENTRAL_KEPT", keptFields: differing(row!, current) },
      };
    case "MERGE":
      return {
        kind: "update",
        row: mergeRow(policy, current, row!, operation === "CREATE" ? zeroBase(policy) : input.baseRow),
        conflict: { strategy: "MERGE", resolution: "MERGED" },
      };
    case "MANUAL_MERGE":
      return { kind: "keep", conflict: { strategy: "MANUAL_MERGE", resolution: "PENDING" } };
  }
}

/*
 * Central restored from a backup (issue 12 §4): the terminals re-send what they hold in any
 * order, so an update of a row can arrive before the creation of that row by another terminal.
 * Each change must then add only its own part of a merge field: an update of a row central
 * lacks inserts it with its delta alone (the rest comes in the changes that made it), and a
 * creation that finds the row adds its values to it (its base is nothing).
 */
function ownDeltasOnly(input: DecisionInput): Record<string, unknown> {
  const row = { ...input.row! };
  if (!input.baseRow) return row;
  for (const f of input.policy.mergeFields) {
    const base = input.baseRow[f];
    if (base != null) row[f] = Number(row[f] ?? 0) - Number(base);
  }
  return row;
}

function zeroBase(policy: TablePolicy): Record<string, unknown> {
  return Object.fromEntries(policy.mergeFields.map((f) => [f, 0]));
}
