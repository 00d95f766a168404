import type { Session } from "@tillsync/shared/browser";
import { useState } from "preact/hooks";
import type { ApiClient } from "../api/api-client";
import { ApiError } from "../api/api-error";

/**
 * Sign-in with an operator token. A refused token gets one message that says nothing about
 * which part was wrong (unknown operator, revoked, mistyped are all the same to the reader).
 */
export const SIGN_IN_REFUSED = "Sign-in failed: that token was not accepted.";

export function SignInPage(props: { api: ApiClient; notice: string | null; onSignedIn(s: Session): void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!token.trim()) return setError("Enter your operator token.");
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await props.api.session.signIn(token.trim()));
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : null;
      setError(
        apiErr?.status === 401 || apiErr?.status === 400 ? SIGN_IN_REFUSED : (apiErr?.userMessage() ?? String(err)),
      );
      setToken("");
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in" aria-labelledby="sign-in-title">
      <form onSubmit={submit} class="card" data-testid="sign-in-form">
        <h1 id="sign-in-title">tillsync control center</h1>
        {props.notice ? (
          <p role="status" class="banner notice" data-testid="sign-in-notice">
            {props.notice}
          </p>
        ) : null}
        <label for="token">Operator token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          data-testid="sign-in-token"
          required
        />
        <button type="submit" disabled={busy} data-testid="sign-in-submit">
          {busy ? "Signing in…" : "Sign in"}
        </button>
        {error ? (
          <p role="alert" class="banner error" data-testid="sign-in-error">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  );
}
