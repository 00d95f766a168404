import { useState } from "preact/hooks";
import { formatTime } from "../logic/format";
import { routeHref } from "../logic/routes";
import { useCan, useConsole } from "./console-context";
import { ConflictDiff } from "./conflict-diff";
import { ErrorBanner, Loading, Notice, PageHeader } from "./common";
import { ResolvePanel } from "./resolve-panel";
import { Link } from "./router";
import { useResource } from "./use-resource";

/** One conflict at its own URL: the two sides as a diff and, while pending, the resolve form. */
export function ConflictPage({ id }: { id: string }) {
  const { api } = useConsole();
  const can = useCan();
  const [resolved, setResolved] = useState<string | null>(null);
  const res = useResource(() => api.conflicts.get(id), [id], {
    refetchOn: ["conflict:resolved"],
    when: (p) => (p as { conflict?: { id?: string } }).conflict?.id === id,
  });
  if (!res.data) return res.error ? <ErrorBanner error={res.error} /> : <Loading what="the conflict" />;
  const c = res.data.conflict;
  return (
    <section data-testid="conflict-page" data-conflict-id={c.id} data-status={c.status}>
      <p>
        <Link href={routeHref({ page: "conflicts", status: "PENDING", table: null, terminal: null, cursor: null })}>
          ← Conflict queue
        </Link>
      </p>
      <PageHeader title={`Conflict on ${c.entityType}`} />
      <p>
        Row <code>{c.entityId}</code> from terminal{" "}
        <Link href={routeHref({ page: "terminal", id: c.terminalId })}>{c.terminalName ?? c.terminalId}</Link>,{" "}
        {formatTime(c.createdAt)}. Status <strong data-testid="conflict-status">{c.status}</strong>
        {c.resolvedAt ? `, resolved ${formatTime(c.resolvedAt)}${c.resolvedBy ? ` by ${c.resolvedBy}` : ""}` : ""}
        {c.reason ? ` (“${c.reason}”)` : ""}.
      </p>
      <ErrorBanner error={res.error} />
      {resolved ? <Notice testId="resolve-done">{resolved}</Notice> : null}
      <ConflictDiff conflict={c} />
      {c.status === "PENDING" && can("conflict.resolve") ? (
        <ResolvePanel
          conflict={c}
          onResolved={(message) => {
            setResolved(message);
            res.reload();
          }}
        />
      ) : null}
    </section>
  );
}
