import type { ConflictEntry } from "@tillsync/shared/browser";
import { changedFieldCount, fieldDiff, type DiffKind } from "../logic/field-diff";
import { formatCell } from "../logic/format";

const KIND_TEXT: Record<DiffKind, string> = {
  same: "same",
  changed: "differs",
  "only-terminal": "terminal only",
  "only-central": "central only",
};

/** Central's side and the terminal's, field by field, with the strategy that applied. */
export function ConflictDiff({ conflict: c }: { conflict: ConflictEntry }) {
  const rows = fieldDiff(c.entityType, c.centralData, c.terminalData, c.resolvedData);
  const resolved = c.resolvedData !== null;
  return (
    <section aria-labelledby="diff-title">
      <h2 id="diff-title">
        Field by field: {changedFieldCount(rows)} of {rows.length} differ
      </h2>
      <p>
        Strategy <strong data-testid="conflict-strategy">{c.strategy}</strong>; outcome{" "}
        <strong data-testid="conflict-outcome">{c.resolution ?? "none yet"}</strong>. Terminal based its change on
        version {c.baseVersion ?? "— (new row)"}; central was at {c.centralVersion ?? "— (no row)"}.
        {c.terminalData === null ? " The terminal deleted the row." : ""}
        {c.centralData === null ? " Central had no such row." : ""}
      </p>
      <table class="data diff" data-testid="conflict-diff">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Central</th>
            <th scope="col">Terminal</th>
            {resolved ? <th scope="col">Written</th> : null}
            <th scope="col">Difference</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.field} class={`diff-${r.kind}`} data-field={r.field} data-kind={r.kind}>
              <th scope="row">{r.field}</th>
              <td>
                <code>{formatCell(r.central)}</code>
              </td>
              <td>
                <code>{formatCell(r.terminal)}</code>
              </td>
              {resolved ? (
                <td>
                  <code>{formatCell(r.resolved)}</code>
                </td>
              ) : null}
              <td>{r.kind === "same" ? "same" : <strong>{KIND_TEXT[r.kind]}</strong>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
