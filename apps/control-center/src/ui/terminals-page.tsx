import type { TerminalHealth } from "@tillsync/shared/browser";
import { formatLag } from "../logic/format";
import { HEALTH_LABEL, HEALTH_ORDER } from "../logic/health";
import { routeHref, type Route } from "../logic/routes";
import { storeOptions, viewTerminals, type StoreOption } from "../logic/terminal-filters";
import { useCan, useConsole } from "./console-context";
import { Age, ErrorBanner, HealthBadge, Loading, PageHeader, StatusBadge } from "./common";
import { CreateTerminalForm } from "./create-terminal-form";
import { Link, navigate } from "./router";
import { TerminalActions } from "./terminal-actions";
import { useResource } from "./use-resource";
import { useTerminalList } from "./use-terminal-list";

type TerminalsRoute = Extract<Route, { page: "terminals" }>;

/** Every terminal with its health, filterable by store and colour, sorted by lag; the per-terminal actions. */
export function TerminalsPage({ route }: { route: TerminalsRoute }) {
  const { api } = useConsole();
  const can = useCan();
  const list = useTerminalList();
  const stores = useResource(() => api.stores.list(), []);
  if (!list.data) return list.error ? <ErrorBanner error={list.error} /> : <Loading what="terminals" />;
  const options = storeOptions(list.data.terminals, stores.data?.stores ?? []);
  const shown = viewTerminals(list.data.terminals, route);
  const storeName = new Map(options.map((o) => [o.id, o.label]));
  return (
    <section data-testid="terminals-page">
      <PageHeader title="Terminals">
        {can("terminal.create") ? (
          <CreateTerminalForm stores={stores.data?.stores ?? []} onCreated={list.reload} />
        ) : null}
      </PageHeader>
      <ErrorBanner error={list.error} />
      <Filters route={route} stores={options} />
      <p class="muted" role="status">
        Showing {shown.length} of {list.data.terminals.length} terminals.
      </p>
      <table class="data" data-testid="terminals-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Store</th>
            <th scope="col">Health</th>
            <th scope="col">Connection</th>
            <th scope="col">Last seen</th>
            <th scope="col">Last sync</th>
            <th scope="col" aria-sort={route.sort === "lag" ? "descending" : "none"}>
              Lag
            </th>
            <th scope="col">Outbox pending / failed / conflicts</th>
            <th scope="col">Last error</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((t) => (
            <TerminalRow key={t.id} t={t} store={storeName.get(t.storeId) ?? t.storeId} onChanged={list.reload} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function TerminalRow({ t, store, onChanged }: { t: TerminalHealth; store: string; onChanged(): void }) {
  return (
    <tr data-testid="terminal-row" data-terminal-id={t.id} data-terminal-name={t.name} data-health={t.health}>
      <td>
        <Link href={routeHref({ page: "terminal", id: t.id })}>{t.name}</Link>
        {t.code ? <div class="muted">{t.code}</div> : null}
      </td>
      <td>{store}</td>
      <td>
        <HealthBadge health={t.health} />
        {t.paused ? <div class="badge paused">paused</div> : null}
      </td>
      <td>
        <StatusBadge status={t.status} />
      </td>
      <td>
        <Age iso={t.lastSeenAt} />
      </td>
      <td>
        <Age iso={t.lastSyncAt} />
      </td>
      <td data-testid="terminal-lag" data-lag={t.lag}>
        {formatLag(t.lag, t.lagSeconds)}
      </td>
      <td data-testid="terminal-outbox">
        {t.outbox.pending} / {t.outbox.failed} / {t.outbox.conflicts}
      </td>
      <td class="error-text" data-testid="terminal-last-error">
        {t.lastError ? t.lastError.message : "—"}
      </td>
      <td>
        <TerminalActions terminal={t} onChanged={onChanged} />
      </td>
    </tr>
  );
}

function Filters({ route, stores }: { route: TerminalsRoute; stores: StoreOption[] }) {
  const set = (patch: Partial<TerminalsRoute>) => navigate(routeHref({ ...route, ...patch }), true);
  return (
    <form class="filters" aria-label="Filter terminals" onSubmit={(e) => e.preventDefault()}>
      <label>
        Store{" "}
        <select
          value={route.store ?? ""}
          onChange={(e) => set({ store: (e.target as HTMLSelectElement).value || null })}
          data-testid="filter-store"
        >
          <option value="">All stores</option>
          {stores.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Health{" "}
        <select
          value={route.health}
          onChange={(e) => set({ health: (e.target as HTMLSelectElement).value as TerminalsRoute["health"] })}
          data-testid="filter-health"
        >
          <option value="all">All colours</option>
          {HEALTH_ORDER.map((h) => (
            <option key={h} value={h}>
              {h} — {HEALTH_LABEL[h]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Sort{" "}
        <select
          value={route.sort}
          onChange={(e) => set({ sort: (e.target as HTMLSelectElement).value as TerminalsRoute["sort"] })}
          data-testid="sort-terminals"
        >
          <option value="lag">by lag, most behind first</option>
          <option value="name">by name</option>
        </select>
      </label>
    </form>
  );
}
