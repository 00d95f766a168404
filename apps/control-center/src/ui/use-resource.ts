import type { AdminSocketEventName } from "@tillsync/shared/browser";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/api-error";
import { useConsole } from "./console-context";

/** The fallback refresh while live events keep pages current: never faster than every 10 s. */
export const REFRESH_MS = 15_000;
/** Live events that ask for a refetch are folded into at most one request per this long. */
const REFETCH_COALESCE_MS = 1_000;

export interface LiveRefetch {
  /** Events after which the data is fetched again. */
  refetchOn?: AdminSocketEventName[];
  /** Only events whose payload concerns this page (e.g. this terminal). */
  when?(payload: unknown): boolean;
  /** At most one refetch per this long however many events arrive (default 1 s). */
  coalesceMs?: number;
}

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
  /** Updates the copy in hand (a live event's payload) without a request. */
  update(fn: (current: T) => T): void;
}

/**
 * Loads a page's data, keeps it fresh (refetch on the named live events, after a socket
 * reconnect, and every REFRESH_MS as a fallback) and sends a 401 back to sign-in.
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[], opts: LiveRefetch = {}): Resource<T> {
  const { live, signedOut } = useConsole();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    load().then(
      (d) => mine === generation.current && (setData(d), setError(null), setLoading(false)),
      (e: unknown) => {
        if (mine !== generation.current) return;
        const err = e instanceof ApiError ? e : new ApiError(0, "CLIENT", String(e));
        if (err.signedOut) return signedOut();
        setError(err);
        setLoading(false);
      },
    );
  }, deps);

  useEffect(() => {
    setData(null);
    reload();
    const soon = (payload: unknown) => {
      if (opts.when && !opts.when(payload)) return;
      timer.current ??= setTimeout(() => ((timer.current = null), reload()), opts.coalesceMs ?? REFETCH_COALESCE_MS);
    };
    const offs = [...(opts.refetchOn ?? []).map((e) => live.on(e, soon)), live.onResync(reload)];
    const interval = setInterval(reload, REFRESH_MS);
    return () => {
      generation.current++;
      offs.forEach((off) => off());
      clearInterval(interval);
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [reload]);

  const update = useCallback((fn: (current: T) => T) => setData((d) => (d === null ? d : fn(d))), []);
  return { data, error, loading, reload, update };
}
