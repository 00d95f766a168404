import { useState } from "preact/hooks";

/** A confirm step that asks why (the reason lands in the audit log). */
export function ReasonForm(props: {
  label: string;
  confirmText: string;
  busy: boolean;
  required?: boolean;
  danger?: boolean;
  testId: string;
  onConfirm(reason: string): void;
  onCancel(): void;
}) {
  const [reason, setReason] = useState("");
  const id = `${props.testId}-reason`;
  const blocked = props.busy || (props.required === true && !reason.trim());
  return (
    <form class="reason-form" onSubmit={(e) => (e.preventDefault(), !blocked && props.onConfirm(reason.trim()))}>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        value={reason}
        maxLength={500}
        onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        data-testid={id}
      />
      <button
        type="submit"
        class={props.danger ? "danger" : undefined}
        disabled={blocked}
        data-testid={`${props.testId}-confirm`}
      >
        {props.confirmText}
      </button>
      <button type="button" class="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}
