import { SYNC_TABLES, type ConflictEntry, type TerminalHealth } from "@tillsync/shared/browser";
import { formatTime } from "../logic/format";
import { routeHref, type Route } from "../logic/routes";
import { useConsole } from "./console-context";
import { ErrorBanner, Loading, PageHeader } from "./common";
import { Link, navigate } from "./router";
import { useResource } from "./use-resource";
import { useTerminalList } from "./use-terminal-list";

type ConflictsRoute = Extract<Route, { page: "conflicts" }>;
const PAGE_SIZE = 25;

/** The conflict queue: filter by status, table and terminal; newest first, paged. */
export function ConflictsPage({ route }: { route: ConflictsRoute }) {
  const { api } = useConsole();
  const terminals = useTerminalList();
  const page = useResource(
    () =>
      api.conflicts.list({
        status: route.status === "all" ? null : route.status,
        entityType: route.table as (typeof SYNC_TABLES)[number] | null,
        terminalId: route.terminal,
        cursor: route.cursor,
        limit: PAGE_SIZE,
      }),
    [route.status, route.table, route.terminal, route.cursor],
    { refetchOn: ["conflict:created", "conflict:resolved"] },
  );
  const nameOf = new Map((terminals.data?.terminals ?? []).map((t) => [t.id, t.name]));
  const set = (patch: Partial<ConflictsRoute>) => navigate(routeHref({ ...route, cursor: null, ...patch }));
  return (
    <section data-testid="conflicts-page">
      <PageHeader title="Conflicts" />
      <ConflictFilters route={route} terminals={terminals.data?.terminals ?? []} set={set} />
      <ErrorBanner error={page.error} />
      {!page.data ? (
        page.error ? null : (
          <Loading what="conflicts" />
        )
      ) : (
        <>
          <p class="muted" role="status">
            {page.data.total !== undefined ? `${page.data.total} matching. ` : ""}Newest first
            {route.cursor ? " (older page)" : ""}.
          </p>
          <ConflictTable conflicts={page.data.conflicts} nameOf={nameOf} />
          {page.data.conflicts.length === 0 ? <p data-testid="conflicts-empty">No conflicts match.</p> : null}
          <nav class="pager" aria-label="Pages">
            {route.cursor ? <Link href={routeHref({ ...route, cursor: null })}>Newest</Link> : null}
            {page.data.nextCursor ? (
              <Link href={routeHref({ ...route, cursor: page.data.nextCursor })} data-testid="conflicts-older">
                Older →
              </Link>
            ) : null}
          </nav>
        </>
      )}
    </section>
  );
}

function ConflictFilters(props: {
  route: ConflictsRoute;
  terminals: TerminalHealth[];
  set(p: Partial<ConflictsRoute>): void;
}) {
  const { route, terminals, set } = props;
  return (
    <form class="filters" aria-label="Filter conflicts" onSubmit={(e) => e.preventDefault()}>
      <label>
        Status{" "}
        <select
          value={route.status}
          onChange={(e) => set({ status: (e.target as HTMLSelectElement).value as ConflictsRoute["status"] })}
          data-testid="filter-conflict-status"
        >
          <option value="PENDING">PENDING (waiting for an operator)</option>
          <option value="RESOLVED">RESOLVED</option>
          <option value="all">all</option>
        </select>
      </label>
      <label>
        Table{" "}
        <select
          value={route.table ?? ""}
          onChange={(e) => set({ table: (e.target as HTMLSelectElement).value || null })}
          data-testid="filter-conflict-table"
        >
          <option value="">all tables</option>
          {SYNC_TABLES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        Terminal{" "}
        <select
          value={route.terminal ?? ""}
          onChange={(e) => set({ terminal: (e.target as HTMLSelectElement).value || null })}
          data-testid="filter-conflict-terminal"
        >
          <option value="">all terminals</option>
          {terminals.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

function ConflictTable({ conflicts, nameOf }: { conflicts: ConflictEntry[]; nameOf: Map<string, string> }) {
  return (
    <table class="data" data-testid="conflicts-table">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Table</th>
          <th scope="col">Terminal</th>
          <th scope="col">Strategy</th>
          <th scope="col">Status</th>
          <th scope="col">Outcome</th>
          <th scope="col">Open</th>
        </tr>
      </thead>
      <tbody>
        {conflicts.map((c) => (
          <tr
            key={c.id}
            data-testid="conflict-row"
            data-conflict-id={c.id}
            data-status={c.status}
            data-strategy={c.strategy}
          >
            <td>{formatTime(c.createdAt)}</td>
            <td>{c.entityType}</td>
            <td>{c.terminalName ?? nameOf.get(c.terminalId) ?? c.terminalId}</td>
            <td>{c.strategy}</td>
            <td>
              <span class={`badge conflict-${c.status.toLowerCase()}`}>{c.status}</span>
            </td>
            <td>{c.resolution ?? "—"}</td>
            <td>
              <Link href={routeHref({ page: "conflict", id: c.id })}>
                {c.status === "PENDING" ? "Review and resolve" : "View diff"}
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
