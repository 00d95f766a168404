import {
  AUDIT_ACTIONS,
  AUDIT_OUTCOMES,
  AUDIT_TARGET_TYPES,
  type AuditEntry,
  type AuditQuery,
} from "@tillsync/shared/browser";
import { formatTime } from "../logic/format";
import { routeHref, type Route } from "../logic/routes";
import { useConsole } from "./console-context";
import { ErrorBanner, Loading, PageHeader } from "./common";
import { Link, navigate } from "./router";
import { useResource } from "./use-resource";

type AuditRoute = Extract<Route, { page: "audit" }>;
const PAGE_SIZE = 50;

/** Every operator action, newest first, filterable by operator, action, target type and outcome. */
export function AuditPage({ route }: { route: AuditRoute }) {
  const { api } = useConsole();
  const page = useResource(
    () =>
      api.audit.list({
        operator: route.operator,
        action: route.action as AuditQuery["action"] | null,
        targetType: route.targetType as AuditQuery["targetType"] | null,
        outcome: route.outcome as AuditQuery["outcome"] | null,
        cursor: route.cursor,
        limit: PAGE_SIZE,
      }),
    [route.operator, route.action, route.targetType, route.outcome, route.cursor],
  );
  return (
    <section data-testid="audit-page">
      <PageHeader title="Audit log" />
      <AuditFilters route={route} />
      <ErrorBanner error={page.error} />
      {!page.data ? (
        page.error ? null : (
          <Loading what="the audit log" />
        )
      ) : (
        <>
          <AuditTable entries={page.data.entries} />
          {page.data.entries.length === 0 ? <p data-testid="audit-empty">No entries match.</p> : null}
          <nav class="pager" aria-label="Pages">
            {route.cursor ? <Link href={routeHref({ ...route, cursor: null })}>Newest</Link> : null}
            {page.data.nextCursor ? (
              <Link href={routeHref({ ...route, cursor: page.data.nextCursor })} data-testid="audit-older">
                Older →
              </Link>
            ) : null}
          </nav>
        </>
      )}
    </section>
  );
}

function Select(props: {
  label: string;
  value: string | null;
  options: readonly string[];
  testId: string;
  onChange(v: string | null): void;
}) {
  return (
    <label>
      {props.label}{" "}
      <select
        value={props.value ?? ""}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value || null)}
        data-testid={props.testId}
      >
        <option value="">any</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

function AuditFilters({ route }: { route: AuditRoute }) {
  const set = (patch: Partial<AuditRoute>) => navigate(routeHref({ ...route, cursor: null, ...patch }));
  return (
    <form
      class="filters"
      aria-label="Filter the audit log"
      onSubmit={(e) => {
        e.preventDefault();
        const name = new FormData(e.currentTarget as HTMLFormElement).get("operator");
        set({ operator: typeof name === "string" && name.trim() ? name.trim() : null });
      }}
    >
      <label>
        Operator <input name="operator" defaultValue={route.operator ?? ""} data-testid="filter-audit-operator" />
      </label>
      <Select
        label="Action"
        value={route.action}
        options={AUDIT_ACTIONS}
        testId="filter-audit-action"
        onChange={(v) => set({ action: v })}
      />
      <Select
        label="Target"
        value={route.targetType}
        options={AUDIT_TARGET_TYPES}
        testId="filter-audit-target"
        onChange={(v) => set({ targetType: v })}
      />
      <Select
        label="Outcome"
        value={route.outcome}
        options={AUDIT_OUTCOMES}
        testId="filter-audit-outcome"
        onChange={(v) => set({ outcome: v })}
      />
      <button type="submit" class="secondary">
        Apply
      </button>
    </form>
  );
}

function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <table class="data" data-testid="audit-table">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Operator</th>
          <th scope="col">Action</th>
          <th scope="col">Target</th>
          <th scope="col">Outcome</th>
          <th scope="col">Reason</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id} data-testid="audit-row" data-action={e.action} data-outcome={e.outcome}>
            <td>{formatTime(e.at)}</td>
            <td>
              {e.operator.name}
              {e.operator.role ? <span class="muted"> ({e.operator.role})</span> : null}
            </td>
            <td>
              <code>{e.action}</code>
            </td>
            <td>
              {e.target.type}
              {e.target.label || e.target.id ? `: ${e.target.label ?? e.target.id}` : ""}
            </td>
            <td>
              <span class={`badge outcome-${e.outcome}`}>{e.outcome}</span>
            </td>
            <td>{e.reason ?? "—"}</td>
            <td>{e.detail ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
