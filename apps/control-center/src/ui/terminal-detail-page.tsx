import type { ComponentChildren } from "preact";
import { SYNC_TABLES, type TerminalDetailResponse } from "@tillsync/shared/browser";
import { formatLag, formatTime } from "../logic/format";
import { routeHref } from "../logic/routes";
import { useConsole } from "./console-context";
import { Age, ErrorBanner, HealthBadge, Loading, PageHeader, StatusBadge } from "./common";
import { Link } from "./router";
import { TerminalActions } from "./terminal-actions";
import { useResource } from "./use-resource";

const concerns = (id: string) => (p: unknown) => (p as { terminal?: { id?: string } }).terminal?.id === id;

/** One terminal: health, per-table outbox counts, recent sync history, failed changes with their error. */
export function TerminalDetailPage({ id }: { id: string }) {
  const { api } = useConsole();
  const detail = useResource(() => api.terminals.detail(id), [id], {
    refetchOn: ["terminal:status", "terminal:heartbeat"],
    when: concerns(id),
  });
  if (!detail.data) return detail.error ? <ErrorBanner error={detail.error} /> : <Loading what="the terminal" />;
  const { terminal: t } = detail.data;
  return (
    <section data-testid="terminal-detail-page" data-terminal-id={t.id} data-health={t.health}>
      <p>
        <Link href={routeHref({ page: "terminals", store: null, health: "all", sort: "lag" })}>← All terminals</Link>
      </p>
      <PageHeader title={t.name} />
      <ErrorBanner error={detail.error} />
      <dl class="figures">
        <Item label="Health">
          <HealthBadge health={t.health} />
          {t.paused ? " (paused)" : ""}
        </Item>
        <Item label="Connection">
          <StatusBadge status={t.status} />
        </Item>
        <Item label="Agent state">{t.agentStatus ?? "unknown"}</Item>
        <Item label="Last seen">
          <Age iso={t.lastSeenAt} />
        </Item>
        <Item label="Last sync">
          <Age iso={t.lastSyncAt} />
        </Item>
        <Item label="Lag">{formatLag(t.lag, t.lagSeconds)}</Item>
        <Item label="Acknowledged cursor">{t.ackedCursor}</Item>
        {t.code ? <Item label="Code">{t.code}</Item> : null}
      </dl>
      {t.lastError ? (
        <p class="banner error" data-testid="terminal-last-error">
          Last error{t.lastError.at ? ` (${formatTime(t.lastError.at)})` : ""}: {t.lastError.message}
        </p>
      ) : null}
      <TerminalActions terminal={t} onChanged={detail.reload} />
      <TableCounts tables={detail.data.tables} />
      <History history={detail.data.history} />
      <FailedChanges failed={detail.data.failedChanges} />
    </section>
  );
}

function Item({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function TableCounts({ tables }: { tables: TerminalDetailResponse["tables"] }) {
  const rows = SYNC_TABLES.filter((t) => tables[t]);
  return (
    <>
      <h2>Outbox per table</h2>
      {rows.length === 0 ? <p class="muted">No heartbeat with table counts yet.</p> : null}
      <table class="data" data-testid="table-counts">
        <thead>
          <tr>
            <th scope="col">Table</th>
            <th scope="col">Pending</th>
            <th scope="col">Failed</th>
            <th scope="col">Synced</th>
            <th scope="col">Conflicts</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((name) => {
            const c = tables[name]!;
            return (
              <tr key={name} data-table={name}>
                <th scope="row">{name}</th>
                <td>{c.pending}</td>
                <td>{c.failed}</td>
                <td>{c.synced}</td>
                <td>{c.conflicts}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function History({ history }: { history: TerminalDetailResponse["history"] }) {
  return (
    <>
      <h2>Recent sync history</h2>
      {history.length === 0 ? <p class="muted">Nothing recorded yet.</p> : null}
      <table class="data" data-testid="sync-history">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Kind</th>
            <th scope="col">Finished</th>
            <th scope="col">Changes</th>
            <th scope="col">Conflicts</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {history.map((h) => (
            <tr key={h.id}>
              <td>{formatTime(h.startedAt)}</td>
              <td>{h.kind}</td>
              <td>{formatTime(h.finishedAt)}</td>
              <td>{h.changes}</td>
              <td>{h.conflicts}</td>
              <td class={h.error ? "error-text" : undefined}>
                {h.error ? `failed: ${h.error}` : h.finishedAt ? "ok" : "running"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function FailedChanges({ failed }: { failed: TerminalDetailResponse["failedChanges"] }) {
  return (
    <>
      <h2>Failed changes</h2>
      {failed.length === 0 ? <p class="muted">No failed changes.</p> : null}
      <table class="data" data-testid="failed-changes">
        <thead>
          <tr>
            <th scope="col">Table</th>
            <th scope="col">Row</th>
            <th scope="col">Operation</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last attempt</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {failed.map((f) => (
            <tr key={f.changeId} data-change-id={f.changeId}>
              <td>{f.entityType}</td>
              <td>
                <code>{f.entityId}</code>
              </td>
              <td>{f.operation}</td>
              <td>{f.attempts ?? "—"}</td>
              <td>{formatTime(f.lastAttemptAt)}</td>
              <td class="error-text">{f.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
