import { DASHBOARD_PATH, type HubHealthColour } from "@tillsync/shared/browser";

/**
 * Every console page as a typed route, parsed from and printed to a bookmarkable URL under
 * /dashboard (history routing; central answers index.html for every /dashboard/* path).
 * Kept by hand rather than with a router library: nine routes whose query strings carry the
 * page filters, and the typed parse/print pair is what a library would still leave to us.
 */

export type HealthFilter = HubHealthColour | "all";
export type TerminalSort = "lag" | "name";

export type Route =
  | { page: "sign-in"; next: string | null }
  | { page: "overview" }
  | { page: "terminals"; store: string | null; health: HealthFilter; sort: TerminalSort }
  | { page: "terminal"; id: string }
  | {
      page: "conflicts";
      status: "PENDING" | "RESOLVED" | "all";
      table: string | null;
      terminal: string | null;
      cursor: string | null;
    }
  | { page: "conflict"; id: string }
  | { page: "schedules" }
  | {
      page: "audit";
      operator: string | null;
      action: string | null;
      targetType: string | null;
      outcome: string | null;
      cursor: string | null;
    }
  | { page: "operators" }
  | { page: "not-found"; path: string };

export type PageName = Route["page"];

const HEALTH: readonly HealthFilter[] = ["all", "green", "yellow", "red", "gray"];

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function text(q: URLSearchParams, key: string): string | null {
  const v = q.get(key)?.trim();
  return v ? v : null;
}

/** Reads a location (pathname + search) into a route; anything unknown is `not-found`. */
export function parseRoute(pathname: string, search = ""): Route {
  const q = new URLSearchParams(search);
  const rest = pathname.startsWith(DASHBOARD_PATH) ? pathname.slice(DASHBOARD_PATH.length) : null;
  if (rest === null) return { page: "not-found", path: pathname };
  const parts = rest.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second, ...more] = parts;
  if (more.length > 0) return { page: "not-found", path: pathname };
  switch (first) {
    case undefined:
      return { page: "overview" };
    case "sign-in":
      return second ? notFound(pathname) : { page: "sign-in", next: safeNext(q.get("next")) };
    case "terminals":
      if (second) return { page: "terminal", id: second };
      return {
        page: "terminals",
        store: text(q, "store"),
        health: pick(q.get("health"), HEALTH, "all"),
        sort: pick(q.get("sort"), ["lag", "name"] as const, "lag"),
      };
    case "conflicts":
      if (second) return { page: "conflict", id: second };
      return {
        page: "conflicts",
        status: pick(q.get("status"), ["PENDING", "RESOLVED", "all"] as const, "PENDING"),
        table: text(q, "table"),
        terminal: text(q, "terminal"),
        cursor: text(q, "cursor"),
      };
    case "audit":
      return second ? notFound(pathname) : auditRoute(q);
    case "schedules":
    case "operators":
      return second ? notFound(pathname) : { page: first };
    default:
      return notFound(pathname);
  }
}

function auditRoute(q: URLSearchParams): Route {
  return {
    page: "audit",
    operator: text(q, "operator"),
    action: text(q, "action"),
    targetType: text(q, "targetType"),
    outcome: text(q, "outcome"),
    cursor: text(q, "cursor"),
  };
}

function notFound(path: string): Route {
  return { page: "not-found", path };
}

/** Only a path inside the console may be a sign-in's `next` (no open redirect, no loop). */
function safeNext(next: string | null): string | null {
  if (!next || !/^\/dashboard(\/(?!\/)|\?|$)/.test(next)) return null;
  return next.startsWith(`${DASHBOARD_PATH}/sign-in`) ? null : next;
}

function withQuery(path: string, query: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The URL of a route; `parseRoute(routeHref(r))` gives `r` back. */
export function routeHref(r: Route): string {
  const base = DASHBOARD_PATH;
  switch (r.page) {
    case "overview":
      return base;
    case "sign-in":
      return withQuery(`${base}/sign-in`, { next: r.next });
    case "terminals":
      return withQuery(`${base}/terminals`, {
        store: r.store,
        health: r.health === "all" ? null : r.health,
        sort: r.sort === "lag" ? null : r.sort,
      });
    case "terminal":
      return `${base}/terminals/${encodeURIComponent(r.id)}`;
    case "conflicts":
      return withQuery(`${base}/conflicts`, {
        status: r.status === "PENDING" ? null : r.status,
        table: r.table,
        terminal: r.terminal,
        cursor: r.cursor,
      });
    case "conflict":
      return `${base}/conflicts/${encodeURIComponent(r.id)}`;
    case "audit": {
      const { page: _page, ...query } = r;
      return withQuery(`${base}/audit`, query);
    }
    case "schedules":
    case "operators":
      return `${base}/${r.page}`;
    case "not-found":
      return r.path;
  }
}
