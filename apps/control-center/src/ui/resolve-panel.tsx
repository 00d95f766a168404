import type { ColumnSpec, ConflictEntry, OperatorResolution } from "@tillsync/shared/browser";
import { useState } from "preact/hooks";
import { checkResolution, draftFromRow, editableColumns, READ_ONLY_FIELDS, type Draft } from "../logic/resolve-form";
import { useConsole } from "./console-context";
import { ErrorBanner } from "./common";
import { useAction } from "./use-action";

const CHOICES: Array<{ value: OperatorResolution; label: string }> = [
  { value: "KEEP_CENTRAL", label: "Keep central's row" },
  { value: "TAKE_TERMINAL", label: "Take the terminal's row" },
  { value: "CUSTOM", label: "Edit the merged row" },
];

/**
 * Settles a pending MANUAL_MERGE conflict; the row is checked with the shared row schema first.
 * The page, not this panel, says it worked: the conflict:resolved event may reload the page
 * before the answer arrives, and a resolved conflict has no panel any more.
 */
export function ResolvePanel({ conflict, onResolved }: { conflict: ConflictEntry; onResolved(message: string): void }) {
  const { api } = useConsole();
  const action = useAction();
  const [choice, setChoice] = useState<OperatorResolution>("KEEP_CENTRAL");
  const [draft, setDraft] = useState<Draft>(() =>
    draftFromRow(conflict.entityType, conflict.centralData ?? conflict.terminalData),
  );
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<{ message: string; fields: Record<string, string> } | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const check = checkResolution(conflict, choice, choice === "CUSTOM" ? draft : null, reason);
    if (!check.ok) return setProblem({ message: check.message, fields: check.fieldErrors });
    setProblem(null);
    const done = "Resolved; the row goes to every terminal in scope.";
    if (await action.run(() => api.conflicts.resolve(check.request), done)) onResolved(done);
  };
  return (
    <form class="card resolve" onSubmit={submit} aria-labelledby="resolve-title" data-testid="resolve-form" noValidate>
      <h2 id="resolve-title">Resolve</h2>
      <Choices choice={choice} setChoice={setChoice} />
      {choice === "CUSTOM" ? (
        <MergedRowEditor conflict={conflict} draft={draft} setDraft={setDraft} errors={problem?.fields ?? {}} />
      ) : null}
      <label for="resolve-reason">Reason (kept in the audit log)</label>
      <input
        id="resolve-reason"
        value={reason}
        maxLength={500}
        onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        data-testid="resolve-reason"
      />
      <button type="submit" disabled={action.busy} data-testid="resolve-submit">
        Resolve conflict
      </button>
      {problem ? (
        <p role="alert" class="banner error" data-testid="resolve-invalid">
          {problem.message}
        </p>
      ) : null}
      <ErrorBanner error={action.error} testId="resolve-error" />
    </form>
  );
}

function MergedRowEditor(props: {
  conflict: ConflictEntry;
  draft: Draft;
  setDraft(d: Draft): void;
  errors: Record<string, string>;
}) {
  const { conflict, draft, setDraft, errors } = props;
  return (
    <fieldset class="merged-row" data-testid="merged-row">
      <legend>Merged row ({conflict.entityType})</legend>
      {editableColumns(conflict.entityType).map((col) => (
        <FieldInput
          key={col.name}
          col={col}
          value={draft[col.name] ?? ""}
          error={errors[col.name]}
          onChange={(v) => setDraft({ ...draft, [col.name]: v })}
        />
      ))}
    </fieldset>
  );
}

function Choices({ choice, setChoice }: { choice: OperatorResolution; setChoice(c: OperatorResolution): void }) {
  return (
    <fieldset>
      <legend>Which row should central keep?</legend>
      {CHOICES.map((c) => (
        <label key={c.value} class="choice">
          <input
            type="radio"
            name="resolution"
            value={c.value}
            checked={choice === c.value}
            onChange={() => setChoice(c.value)}
            data-testid={`resolve-${c.value}`}
          />{" "}
          {c.label}
        </label>
      ))}
    </fieldset>
  );
}

type FieldProps = { col: ColumnSpec; value: string | boolean; error?: string; onChange(v: string | boolean): void };

function FieldInput(props: FieldProps) {
  const { col, error } = props;
  const id = `field-${col.name}`;
  const readOnly = (READ_ONLY_FIELDS as readonly string[]).includes(col.name);
  return (
    <div class="field">
      <label for={id}>
        {col.name}{" "}
        <span class="muted">
          ({col.type.kind}
          {col.optional ? ", optional" : ""}
          {readOnly ? ", set by central" : ""})
        </span>
      </label>
      <FieldControl {...props} id={id} readOnly={readOnly} />
      {error ? (
        <small id={`${id}-error`} class="error-text">
          {error}
        </small>
      ) : null}
    </div>
  );
}

function FieldControl(props: FieldProps & { id: string; readOnly: boolean }) {
  const { col, value, error, id } = props;
  const common = {
    id,
    "aria-invalid": error ? ("true" as const) : undefined,
    "aria-describedby": error ? `${id}-error` : undefined,
    "data-testid": id,
  };
  if (col.type.kind === "bool")
    return (
      <input
        type="checkbox"
        {...common}
        checked={value === true}
        onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)}
      />
    );
  if (col.type.kind === "enum")
    return (
      <select {...common} value={String(value)} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {col.optional ? <option value="">(none)</option> : null}
        {col.type.values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    );
  return (
    <input
      {...common}
      inputMode={col.type.kind === "int" ? "numeric" : undefined}
      readOnly={props.readOnly}
      value={String(value)}
      onInput={(e) => props.onChange((e.target as HTMLInputElement).value)}
    />
  );
}
