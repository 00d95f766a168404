import { useState } from "preact/hooks";

/**
 * A secret shown once (a terminal key, an operator token): a copy button, a warning that it
 * cannot be shown again, and a button that forgets it.
 */
export function KeyReveal(props: { title: string; secret: string; hint: string; onDismiss(): void; testId?: string }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.secret);
      setCopied("yes");
    } catch {
      // Clipboard access needs a secure context (HTTPS or localhost); on plain http the
      // operator selects the text by hand.
      setCopied("failed");
    }
  };
  return (
    <section
      class="key-reveal"
      role="region"
      aria-labelledby="key-reveal-title"
      data-testid={props.testId ?? "key-reveal"}
    >
      <h2 id="key-reveal-title">{props.title}</h2>
      <p class="banner warning" role="alert">
        Shown this once: copy it now. Central keeps only a hash, so it cannot be shown again. {props.hint}
      </p>
      <code class="secret" data-testid="secret-value" onClick={(e) => selectAll(e.currentTarget as HTMLElement)}>
        {props.secret}
      </code>
      <div class="row">
        <button type="button" onClick={copy} data-testid="secret-copy">
          Copy
        </button>
        <span role="status">
          {copied === "yes"
            ? "Copied."
            : copied === "failed"
              ? "Copy is not allowed here: select the text and copy it."
              : ""}
        </span>
        <button type="button" class="secondary" onClick={props.onDismiss} data-testid="secret-dismiss">
          I have stored it, hide it
        </button>
      </div>
    </section>
  );
}

function selectAll(el: HTMLElement): void {
  const range = document.createRange();
  range.selectNodeContents(el);
  const sel = window.getSelection();
  sel?.removeAllRanges();
  sel?.addRange(range);
}
