import type { HubHealthColour } from "@tillsync/shared/browser";
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { ApiError } from "../api/api-error";
import { formatAge, formatTime } from "../logic/format";
import { HEALTH_LABEL } from "../logic/health";

/** Small pieces every page uses. Colours always come with a text label. */

export function HealthBadge({ health }: { health: HubHealthColour }) {
  return (
    <span class={`badge health-${health}`} data-testid="health" data-health={health}>
      <span class="dot" aria-hidden="true" />
      {health} <span class="sr-hint">· {HEALTH_LABEL[health]}</span>
    </span>
  );
}

export function StatusBadge({ status }: { status: "ONLINE" | "OFFLINE" | "DISABLED" }) {
  return (
    <span class={`badge status-${status.toLowerCase()}`} data-testid="connection">
      {status}
    </span>
  );
}

/** "12 s ago", re-rendered every 10 s so ages stay true without a refetch. */
export function Age({ iso }: { iso: string | null | undefined }) {
  const now = useNow();
  return (
    <time dateTime={iso ?? undefined} title={formatTime(iso)}>
      {formatAge(iso, now)}
    </time>
  );
}

export function useNow(everyMs = 10_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function ErrorBanner({ error, testId = "error" }: { error: ApiError | string | null; testId?: string }) {
  if (!error) return null;
  const text = typeof error === "string" ? error : error.userMessage();
  return (
    <p
      class={`banner error${typeof error !== "string" && error.status === 403 ? " forbidden" : ""}`}
      role="alert"
      data-testid={testId}
    >
      {text}
    </p>
  );
}

export function Notice({ children, testId }: { children: ComponentChildren; testId?: string }) {
  return (
    <p class="banner notice" role="status" data-testid={testId}>
      {children}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" class="muted">
      Loading {what}…
    </p>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1>{title}</h1>
      {children ? <div class="page-actions">{children}</div> : null}
    </header>
  );
}
