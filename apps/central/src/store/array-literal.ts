/**
 * PostgreSQL array literals (`{a,b,NULL}`) for the push's `unnest($1::uuid[], …)` parameters,
 * built here instead of by pg: pg quotes and escapes every element (two regular-expression
 * replaces and a concatenation per element, ~4.5 ms of central's CPU per batch of 1,000
 * changes in the profile of bench/README.md round 6), while nearly every value the push sends
 * (UUIDs, integers, enum labels, ISO timestamps) needs neither, and unquoted elements are two
 * bytes shorter on the wire. A value that does need quoting is quoted and escaped exactly as
 * pg does it; a value of a kind this does not know (a Date, an object) leaves the whole array
 * to pg.
 */

/** Characters an unquoted element may hold: no delimiter, brace, quote, backslash or space. */
const PLAIN = /^[0-9A-Za-z_.:+-]+$/;
/** An unquoted element spelling NULL (any case) is a null; such a string must be quoted. */
const NULL_WORD = /^null$/i;

/** One element as array_in reads it back unchanged; undefined when pg must write the array. */
function element(v: unknown): string | undefined {
  if (v === null || v === undefined) return "NULL";
  switch (typeof v) {
    case "string":
      if (PLAIN.test(v) && !NULL_WORD.test(v)) return v;
      // pg's escapeElement: backslashes and double quotes escaped, the element quoted.
      return `"${v.replace(/[\\"]/g, "\\$&")}"`;
    case "number":
      // Integers and finite decimals print as array_in reads them; NaN and Infinity are left to pg.
      return Number.isFinite(v) ? String(v) : undefined;
    case "boolean":
      return v ? "t" : "f";
    default:
      return undefined;
  }
}

/**
 * `values` as the text of a one-dimensional PostgreSQL array, or the values themselves when
 * one of them is of a kind only pg knows how to write (it then builds the literal as before).
 */
export function arrayLiteral(values: readonly unknown[]): string | unknown[] {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const e = element(values[i]);
    if (e === undefined) return values as unknown[];
    parts[i] = e;
  }
  return `{${parts.join(",")}}`;
}
