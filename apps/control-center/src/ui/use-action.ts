import { useState } from "preact/hooks";
import { ApiError } from "../api/api-error";
import { useConsole } from "./console-context";

export interface Action {
  busy: boolean;
  error: ApiError | null;
  done: string | null;
  /** Runs one change; its error (a 403 included) shows beside the button that caused it. */
  run<T>(fn: () => Promise<T>, doneMessage?: string | ((result: T) => string)): Promise<T | undefined>;
  clear(): void;
}

export function useAction(): Action {
  const { signedOut } = useConsole();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  return {
    busy,
    error,
    done,
    clear: () => (setError(null), setDone(null)),
    async run(fn, doneMessage) {
      setBusy(true);
      setError(null);
      setDone(null);
      try {
        const result = await fn();
        setDone(typeof doneMessage === "function" ? doneMessage(result) : (doneMessage ?? null));
        return result;
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(0, "CLIENT", String(e));
        if (err.signedOut) signedOut();
        else setError(err);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
  };
}
