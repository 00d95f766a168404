/**
 * The column half of the sync policy: each synced column's type and domain (the values it may
 * hold). The row schemas (row-schemas.ts) are built from these, and every writer of a synced
 * row validates through them: a terminal's push, an operator's resolution, central's admin
 * catalogue and stock writes, and the agent reading what central sends it.
 */

/** PostgreSQL's `integer` (int4), which every int column at central is. */
export const INT4_MIN = -2_147_483_648;
export const INT4_MAX = 2_147_483_647;

/** A text column without its own `maxLength` holds at most this many characters (UTF-16 code units). */
export const DEFAULT_TEXT_MAX = 1000;

export type ColumnType =
  | { kind: "uuid" }
  /**
   * Text is valid Unicode (it encodes to UTF-8: no lone surrogate) without NUL characters,
   * which PostgreSQL cannot store, and at most `maxLength` UTF-16 code units (default
   * DEFAULT_TEXT_MAX). Keep a uniquely indexed column short: a btree entry holds ~2.7 kB.
   */
  | { kind: "text"; maxLength?: number }
  /** An integer from `min` to `max` inclusive (default PostgreSQL integer's whole range). */
  | { kind: "int"; min?: number; max?: number }
  | { kind: "bool" }
  | { kind: "timestamp" }
  /** `pgType` is the PostgreSQL enum type the value is cast to at central. */
  | { kind: "enum"; values: readonly string[]; pgType: string };

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** May be null/absent in a pushed row (a database default or NULL applies). */
  optional?: boolean;
  /**
   * NOT NULL at central with a database default: a null or missing value on the wire means
   * "the default" for a new row and "unchanged" for an existing one.
   */
  defaulted?: boolean;
  /**
   * Filled from the change's own envelope when the pushed row leaves it null: the mode the
   * till was in when it made the change is the row's mode unless the till wrote one itself.
   */
  fromChange?: "createdInMode";
}

/** The inclusive range of an int column, its defaults applied. */
export function intRange(type: { kind: "int"; min?: number; max?: number }): { min: number; max: number } {
  return { min: type.min ?? INT4_MIN, max: type.max ?? INT4_MAX };
}

/** The longest value of a text column, its default applied. */
export function textMax(type: { kind: "text"; maxLength?: number }): number {
  return type.maxLength ?? DEFAULT_TEXT_MAX;
}

/** Column types of the default policy, by what they hold. */
export const columnTypes = {
  uuid: { kind: "uuid" } as ColumnType,
  bool: { kind: "bool" } as ColumnType,
  timestamp: { kind: "timestamp" } as ColumnType,
  /** Any PostgreSQL integer: counters central computes (merged points, stock) may go either way. */
  int: { kind: "int", min: INT4_MIN, max: INT4_MAX } as ColumnType,
  /** Money and prices: integer cents, never negative. */
  money: { kind: "int", min: 0, max: INT4_MAX } as ColumnType,
  /** A tax rate in basis points: 0 % to 100 %. */
  basisPoints: { kind: "int", min: 0, max: 10_000 } as ColumnType,
  /** Central's row version: never negative. */
  version: { kind: "int", min: 0, max: INT4_MAX } as ColumnType,
  text: (maxLength: number): ColumnType => ({ kind: "text", maxLength }),
};
