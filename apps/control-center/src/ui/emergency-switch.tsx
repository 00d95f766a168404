import type { EmergencyState } from "@tillsync/shared/browser";
import { useState } from "preact/hooks";
import { formatTime } from "../logic/format";
import { useCan, useConsole } from "./console-context";
import { ErrorBanner } from "./common";
import { useAction } from "./use-action";

type Step = { kind: "idle" } | { kind: "reason"; reason: string } | { kind: "confirm"; reason: string };

/**
 * The fleet-wide emergency stop: asks for a reason, asks to confirm, then shows who stopped
 * and when; resume lifts it. Tills keep selling while stopped; their changes wait.
 */
export function EmergencySwitch({ state, onChanged }: { state: EmergencyState; onChanged(s: EmergencyState): void }) {
  const { api } = useConsole();
  const can = useCan();
  const action = useAction();
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const stop = async (reason: string) => {
    const s = await action.run(() => api.sync.emergencyStop(reason));
    if (!s) return;
    onChanged(s);
    setStep({ kind: "idle" });
  };
  const resume = async () => {
    const s = await action.run(() => api.sync.resume());
    if (s) onChanged(s);
  };
  return (
    <section
      class={`emergency ${state.stopped ? "stopped" : "running"}`}
      aria-labelledby="emergency-title"
      data-testid="emergency"
    >
      <h2 id="emergency-title">Emergency stop</h2>
      <StateLine state={state} />
      {can("sync.emergency-stop") ? (
        state.stopped ? (
          <button type="button" onClick={resume} disabled={action.busy} data-testid="emergency-resume">
            Resume sync
          </button>
        ) : (
          <StopSteps step={step} setStep={setStep} busy={action.busy} onStop={stop} />
        )
      ) : null}
      <ErrorBanner error={action.error} testId="emergency-error" />
    </section>
  );
}

type StepProps = { step: Step; setStep(s: Step): void; busy: boolean; onStop(reason: string): void };

function StopSteps(props: StepProps) {
  const { step, setStep } = props;
  if (step.kind === "reason") return <ReasonStep reason={step.reason} setStep={setStep} />;
  if (step.kind === "confirm") return <ConfirmStep reason={step.reason} {...props} />;
  return (
    <button
      type="button"
      class="danger"
      onClick={() => setStep({ kind: "reason", reason: "" })}
      data-testid="emergency-stop-start"
    >
      Stop all sync…
    </button>
  );
}

function ReasonStep({ reason, setStep }: { reason: string; setStep(s: Step): void }) {
  const submit = (e: Event) => {
    e.preventDefault();
    if (reason.trim()) setStep({ kind: "confirm", reason: reason.trim() });
  };
  return (
    <form onSubmit={submit}>
      <label for="emergency-reason">Why are you stopping sync? (kept in the audit log)</label>
      <textarea
        id="emergency-reason"
        required
        maxLength={500}
        value={reason}
        onInput={(e) => setStep({ kind: "reason", reason: (e.target as HTMLTextAreaElement).value })}
        data-testid="emergency-reason"
      />
      <button type="submit" class="danger" disabled={!reason.trim()} data-testid="emergency-stop-continue">
        Continue
      </button>
      <button type="button" class="secondary" onClick={() => setStep({ kind: "idle" })}>
        Cancel
      </button>
    </form>
  );
}

function ConfirmStep(props: StepProps & { reason: string }) {
  return (
    <div role="alertdialog" aria-labelledby="emergency-confirm-text" class="confirm">
      <p id="emergency-confirm-text">
        Stop sync on <strong>every terminal</strong>? Tills keep selling; their changes wait until you resume. Reason: “
        {props.reason}”
      </p>
      <button
        type="button"
        class="danger"
        disabled={props.busy}
        onClick={() => props.onStop(props.reason)}
        data-testid="emergency-stop-confirm"
      >
        Yes, stop all sync
      </button>
      <button
        type="button"
        class="secondary"
        onClick={() => props.setStep({ kind: "idle" })}
        data-testid="emergency-stop-cancel"
      >
        Cancel
      </button>
    </div>
  );
}

function StateLine({ state }: { state: EmergencyState }) {
  return (
    <p data-testid="emergency-state" data-stopped={String(state.stopped)}>
      {state.stopped ? (
        <>
          <strong>Sync is STOPPED on every terminal</strong> since {formatTime(state.since)}
          {state.by ? (
            <>
              {" "}
              by <strong data-testid="emergency-by">{state.by}</strong>
            </>
          ) : null}
          {state.reason ? (
            <>
              : “<span data-testid="emergency-reason-shown">{state.reason}</span>”
            </>
          ) : null}
          .
        </>
      ) : (
        <>
          Sync is running.
          {state.resumedAt
            ? ` Last resumed ${formatTime(state.resumedAt)}${state.resumedBy ? ` by ${state.resumedBy}` : ""}.`
            : ""}
        </>
      )}
    </p>
  );
}
