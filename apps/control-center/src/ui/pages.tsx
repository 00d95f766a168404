import type { Route } from "../logic/routes";
import { AuditPage } from "./audit-page";
import { ConflictPage } from "./conflict-page";
import { ConflictsPage } from "./conflicts-page";
import { OperatorsPage } from "./operators-page";
import { OverviewPage } from "./overview-page";
import { SchedulesPage } from "./schedules-page";
import { TerminalDetailPage } from "./terminal-detail-page";
import { TerminalsPage } from "./terminals-page";
import { Link } from "./router";

/** The signed-in page for a route; each page is keyed by its URL so filters start fresh. */
export function Pages({ route }: { route: Route }) {
  switch (route.page) {
    case "overview":
      return <OverviewPage />;
    case "terminals":
      return <TerminalsPage route={route} />;
    case "terminal":
      return <TerminalDetailPage key={route.id} id={route.id} />;
    case "conflicts":
      return <ConflictsPage route={route} />;
    case "conflict":
      return <ConflictPage key={route.id} id={route.id} />;
    case "schedules":
      return <SchedulesPage />;
    case "audit":
      return <AuditPage route={route} />;
    case "operators":
      return <OperatorsPage />;
    case "sign-in":
    case "not-found":
      return (
        <section data-testid="not-found">
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{route.page === "not-found" ? route.path : ""}</code>.{" "}
            <Link href="/dashboard">Go to the overview</Link>.
          </p>
        </section>
      );
  }
}
