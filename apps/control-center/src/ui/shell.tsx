import { QUEUES_PATH } from "@tillsync/shared/browser";
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { LiveState } from "../live/live-feed";
import { routeHref, type PageName, type Route } from "../logic/routes";
import { useCan, useConsole } from "./console-context";
import { Link } from "./router";

const NAV: Array<{ label: string; page: PageName; href: string; also?: PageName[] }> = [
  { label: "Overview", page: "overview", href: routeHref({ page: "overview" }) },
  { label: "Terminals", page: "terminals", href: "/dashboard/terminals", also: ["terminal"] },
  { label: "Conflicts", page: "conflicts", href: "/dashboard/conflicts", also: ["conflict"] },
  { label: "Schedules", page: "schedules", href: "/dashboard/schedules" },
  { label: "Audit log", page: "audit", href: "/dashboard/audit" },
];

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting… (refreshing every 15 s)",
  "signed-out": "Signed out",
};

function useLiveState(): LiveState {
  const { live } = useConsole();
  const [state, setState] = useState<LiveState>("connecting");
  useEffect(() => live.onState(setState), [live]);
  return state;
}

/** The frame around every signed-in page: navigation, who is signed in, live state, sign-out. */
export function Shell({ route, children }: { route: Route; children: ComponentChildren }) {
  const { api, session, signedOut } = useConsole();
  const can = useCan();
  const liveState = useLiveState();
  const nav = can("operator.create")
    ? [...NAV, { label: "Operators", page: "operators" as const, href: "/dashboard/operators" }]
    : NAV;
  const signOut = async () => {
    await api.session.signOut().catch(() => undefined);
    signedOut("You signed out.");
  };
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">tillsync control center</span>
        <nav aria-label="Console">
          {nav.map((n) => (
            <Link
              key={n.page}
              href={n.href}
              aria-current={n.page === route.page || n.also?.includes(route.page) ? "page" : undefined}
            >
              {n.label}
            </Link>
          ))}
          <a href={QUEUES_PATH} data-testid="nav-queues">
            Queues
          </a>
        </nav>
        <span class={`live live-${liveState}`} role="status" data-testid="live-status" data-state={liveState}>
          {LIVE_TEXT[liveState]}
        </span>
        <span class="who" data-testid="session-operator" data-role={session.operator.role}>
          {session.operator.name} ({session.operator.role})
        </span>
        <button type="button" class="secondary" onClick={signOut} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
