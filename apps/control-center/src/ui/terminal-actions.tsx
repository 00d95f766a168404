import type { GuardedAction, TerminalHealth } from "@tillsync/shared/browser";
import { useState } from "preact/hooks";
import { formatDuration, formatTime } from "../logic/format";
import { useCan, useConsole } from "./console-context";
import { ErrorBanner, Notice } from "./common";
import { KeyReveal } from "./key-reveal";
import { ReasonForm } from "./reason-form";
import { useAction } from "./use-action";

/** Grace periods offered for a key rotation: the old key keeps working this long. */
const GRACE_CHOICES = [0, 300, 3600, 86_400, 7 * 86_400];

type Pending = null | "disable" | "pause" | "rotate";

const ROW_ACTIONS: GuardedAction[] = ["sync.trigger", "terminal.pause", "terminal.rotate-key", "terminal.disable"];

type Act = (fn: () => Promise<unknown>, done: string) => Promise<void>;

/**
 * One terminal's actions, each shown only to a role that may use it: sync now, pause/resume,
 * rotate key (with a grace period), disable/enable. Errors (a 403 included) show right here.
 */
export function TerminalActions({ terminal, onChanged }: { terminal: TerminalHealth; onChanged(): void }) {
  const { api } = useConsole();
  const can = useCan();
  const action = useAction();
  const [pending, setPending] = useState<Pending>(null);
  const [newKey, setNewKey] = useState<{ key: string; until: string | null } | null>(null);
  const act: Act = async (fn, done) => {
    if ((await action.run(fn, done)) === undefined) return;
    setPending(null);
    onChanged();
  };
  const rotate = async (grace: number) => {
    const r = await action.run(() => api.terminals.rotateKey(terminal.id, grace));
    if (!r) return;
    setPending(null);
    setNewKey({ key: r.key, until: r.previousKeyValidUntil ?? null });
    onChanged();
  };
  if (!ROW_ACTIONS.some(can)) return <span class="muted">read only</span>;
  return (
    <div class="actions" data-testid="terminal-actions">
      <ActionButtons terminal={terminal} busy={action.busy} act={act} ask={setPending} />
      <PendingForm
        terminal={terminal}
        pending={pending}
        busy={action.busy}
        act={act}
        rotate={rotate}
        cancel={() => setPending(null)}
      />
      {newKey ? (
        <KeyReveal
          title={`New key for ${terminal.name}`}
          secret={newKey.key}
          testId="rotated-key"
          onDismiss={() => setNewKey(null)}
          hint={
            newKey.until
              ? `The old key keeps working until ${formatTime(newKey.until)}.`
              : "The old key has stopped working."
          }
        />
      ) : null}
      {action.done ? <Notice testId="terminal-action-done">{action.done}</Notice> : null}
      <ErrorBanner error={action.error} testId="terminal-action-error" />
    </div>
  );
}

function ActionButtons(props: { terminal: TerminalHealth; busy: boolean; act: Act; ask(p: Pending): void }) {
  const { api } = useConsole();
  const can = useCan();
  const { terminal: t, busy, act, ask } = props;
  const disabled = t.status === "DISABLED";
  const button = (testId: string, label: string, onClick: () => void, danger = false) => (
    <button type="button" class={danger ? "danger" : undefined} disabled={busy} onClick={onClick} data-testid={testId}>
      {label}
    </button>
  );
  return (
    <>
      {can("sync.trigger") && !disabled
        ? button("terminal-sync-now", "Sync now", () => act(() => api.terminals.syncNow(t.id), "Sync requested."))
        : null}
      {can("terminal.pause") && !disabled
        ? t.paused
          ? button("terminal-resume", "Resume", () => act(() => api.terminals.resume(t.id), "Resumed."))
          : button("terminal-pause", "Pause…", () => ask("pause"))
        : null}
      {can("terminal.rotate-key") && !disabled
        ? button("terminal-rotate-key", "Rotate key…", () => ask("rotate"))
        : null}
      {can("terminal.disable")
        ? disabled
          ? button("terminal-enable", "Enable", () => act(() => api.terminals.enable(t.id), "Enabled."))
          : button("terminal-disable", "Disable…", () => ask("disable"), true)
        : null}
    </>
  );
}

function PendingForm(props: {
  terminal: TerminalHealth;
  pending: Pending;
  busy: boolean;
  act: Act;
  rotate(grace: number): void;
  cancel(): void;
}) {
  const { api } = useConsole();
  const { terminal: t, busy, act, cancel } = props;
  switch (props.pending) {
    case null:
      return null;
    case "rotate":
      return <RotateKeyForm busy={busy} onRotate={props.rotate} onCancel={cancel} />;
    case "pause":
      return (
        <ReasonForm
          label={`Why pause ${t.name}?`}
          confirmText="Pause sync"
          busy={busy}
          testId="terminal-pause"
          onConfirm={(r) => act(() => api.terminals.pause(t.id, r), "Paused.")}
          onCancel={cancel}
        />
      );
    case "disable":
      return (
        <ReasonForm
          label={`Why disable ${t.name}? Its key stops working and it is disconnected.`}
          confirmText="Disable terminal"
          danger
          required
          busy={busy}
          testId="terminal-disable"
          onConfirm={(r) => act(() => api.terminals.disable(t.id, r), "Disabled.")}
          onCancel={cancel}
        />
      );
  }
}

function RotateKeyForm(props: { busy: boolean; onRotate(graceSeconds: number): void; onCancel(): void }) {
  const [grace, setGrace] = useState(0);
  return (
    <form class="reason-form" onSubmit={(e) => (e.preventDefault(), props.onRotate(grace))}>
      <label for="grace">Old key keeps working for</label>
      <select
        id="grace"
        value={String(grace)}
        onChange={(e) => setGrace(Number((e.target as HTMLSelectElement).value))}
        data-testid="rotate-grace"
      >
        {GRACE_CHOICES.map((g) => (
          <option key={g} value={String(g)}>
            {g === 0 ? "no time: stop it now" : formatDuration(g)}
          </option>
        ))}
      </select>
      <button type="submit" disabled={props.busy} data-testid="rotate-confirm">
        Issue new key
      </button>
      <button type="button" class="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}
