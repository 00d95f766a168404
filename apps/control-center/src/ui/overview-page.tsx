import { useConsole } from "./console-context";
import { Age, ErrorBanner, HealthBadge, Loading, PageHeader } from "./common";
import { EmergencySwitch } from "./emergency-switch";
import { formatLag } from "../logic/format";
import { HEALTH_ORDER } from "../logic/health";
import { overviewFigures } from "../logic/overview";
import { routeHref } from "../logic/routes";
import { Link } from "./router";
import { useResource } from "./use-resource";
import { useTerminalList } from "./use-terminal-list";
import { withEmergency } from "../logic/live-state";

/** The fleet at a glance: colours, backlog totals, the feed head and the slowest terminal, the stop switch. */
export function OverviewPage() {
  const { api } = useConsole();
  const list = useTerminalList();
  // Heartbeats of a large fleet arrive every second or so: the totals follow at most every 10 s.
  const status = useResource(() => api.sync.status(), [], {
    refetchOn: ["terminal:heartbeat", "conflict:created", "conflict:resolved"],
    coalesceMs: 10_000,
  });
  if (!list.data) return list.error ? <ErrorBanner error={list.error} /> : <Loading what="the fleet" />;
  const f = overviewFigures(list.data, status.data);
  return (
    <section data-testid="overview-page">
      <PageHeader title="Overview" />
      <ErrorBanner error={list.error ?? status.error} />
      <EmergencySwitch state={list.data.emergency} onChanged={(e) => list.update((l) => withEmergency(l, e))} />
      <h2>Terminals by health</h2>
      <ul class="tiles" data-testid="health-counts">
        {HEALTH_ORDER.map((h) => (
          <li key={h} class="tile">
            <Link
              href={routeHref({ page: "terminals", store: null, health: h, sort: "lag" })}
              data-testid={`health-count-${h}`}
            >
              <span class="figure">{f.byHealth[h]}</span>
              <HealthBadge health={h} />
            </Link>
          </li>
        ))}
      </ul>
      <p>
        {f.total} terminals: {f.online} ONLINE, {f.offline} OFFLINE, {f.disabled} disabled.
      </p>
      <h2>Backlog</h2>
      <dl class="figures">
        <Figure label="Pending changes" value={f.totals.pending} testId="total-pending" />
        <Figure label="Failed changes" value={f.totals.failed} testId="total-failed" />
        <Figure label="Conflicts" value={f.totals.conflicts} testId="total-conflicts" />
        <Figure label="Feed head" value={f.feedHead} testId="feed-head" />
      </dl>
      <h2>Slowest terminal</h2>
      {f.slowest ? (
        <p data-testid="slowest-terminal">
          <Link href={routeHref({ page: "terminal", id: f.slowest.id })}>{f.slowest.name}</Link> is{" "}
          {formatLag(f.slowest.lag, f.slowest.lagSeconds)} behind (last sync <Age iso={f.slowest.lastSyncAt} />
          ).
        </p>
      ) : (
        <p data-testid="slowest-terminal">Every terminal is up to date with the feed.</p>
      )}
    </section>
  );
}

function Figure({ label, value, testId }: { label: string; value: number | string; testId: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{typeof value === "number" ? value.toLocaleString("en") : value}</dd>
    </div>
  );
}
