import { terminalCodeSchema, type CreateTerminalResponse, type Store } from "@tillsync/shared/browser";
import { useState } from "preact/hooks";
import { useConsole } from "./console-context";
import { ErrorBanner } from "./common";
import { KeyReveal } from "./key-reveal";
import { useAction } from "./use-action";

/** Creates a terminal; its key is shown once with a copy button and a warning. */
export function CreateTerminalForm({ stores, onCreated }: { stores: readonly Store[]; onCreated(): void }) {
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<CreateTerminalResponse | null>(null);
  if (created)
    return (
      <KeyReveal
        title={`Key for ${created.terminal.name}`}
        secret={created.key}
        testId="created-key"
        onDismiss={() => setCreated(null)}
        hint={`Give it to the till as CENTRAL_API_KEY (or CENTRAL_API_KEY_FILE) with TERMINAL_ID=${created.terminal.id}.`}
      />
    );
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)} data-testid="terminal-create-open">
        New terminal…
      </button>
    );
  const done = (r: CreateTerminalResponse) => {
    setCreated(r);
    setOpen(false);
    onCreated();
  };
  return <NewTerminalFields stores={stores} onCreated={done} onCancel={() => setOpen(false)} />;
}

function NewTerminalFields(props: {
  stores: readonly Store[];
  onCreated(r: CreateTerminalResponse): void;
  onCancel(): void;
}) {
  const { api } = useConsole();
  const action = useAction();
  const [name, setName] = useState("");
  const [storeId, setStoreId] = useState("");
  const [code, setCode] = useState("");
  const codeError =
    code && !terminalCodeSchema.safeParse(code).success
      ? "Use lower-case letters, digits and dashes, e.g. home-office-01."
      : null;
  const ready = Boolean(name.trim() && storeId && !codeError);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!ready) return;
    const r = await action.run(() => api.terminals.create({ name: name.trim(), storeId, ...(code ? { code } : {}) }));
    if (r) props.onCreated(r);
  };
  const text = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-terminal-title" data-testid="terminal-create-form">
      <h2 id="create-terminal-title">New terminal</h2>
      <label for="new-terminal-name">Name</label>
      <input id="new-terminal-name" required value={name} onInput={text(setName)} data-testid="terminal-create-name" />
      <StoreSelect stores={props.stores} value={storeId} onChange={setStoreId} />
      <label for="new-terminal-code">Code (optional)</label>
      <input
        id="new-terminal-code"
        value={code}
        aria-invalid={codeError ? "true" : undefined}
        aria-describedby="new-terminal-code-hint"
        onInput={text(setCode)}
        data-testid="terminal-create-code"
      />
      <small id="new-terminal-code-hint">
        {codeError ?? "A short name accepted wherever the id is, e.g. home-office-01."}
      </small>
      <div class="row">
        <button type="submit" disabled={action.busy || !ready} data-testid="terminal-create-submit">
          Create terminal
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      <ErrorBanner error={action.error} testId="terminal-create-error" />
    </form>
  );
}

function StoreSelect(props: { stores: readonly Store[]; value: string; onChange(id: string): void }) {
  const { stores, value, onChange } = props;
  return (
    <>
      <label for="new-terminal-store">Store</label>
      <select
        id="new-terminal-store"
        required
        value={value}
        onChange={(e) => onChange((e.target as HTMLSelectElement).value)}
        data-testid="terminal-create-store"
      >
        <option value="">Choose a store…</option>
        {stores.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
    </>
  );
}
