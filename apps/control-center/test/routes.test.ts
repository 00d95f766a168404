import { parseRoute, routeHref, type Route } from "../src/logic/routes";

describe("console routes", () => {
  const roundTrips: Route[] = [
    { page: "overview" },
    { page: "sign-in", next: null },
    { page: "sign-in", next: "/dashboard/conflicts?status=all" },
    { page: "terminals", store: null, health: "all", sort: "lag" },
    { page: "terminals", store: "aaaaaaaa-0000-4000-8000-000000000001", health: "red", sort: "name" },
    { page: "terminal", id: "8b3c4a4e-2f0d-4c8e-9a43-8d1f1c9e0a11" },
    { page: "conflicts", status: "PENDING", table: null, terminal: null, cursor: null },
    { page: "conflicts", status: "all", table: "products", terminal: "t1", cursor: "abc==" },
    { page: "conflict", id: "c1" },
    { page: "schedules" },
    { page: "operators" },
    {
      page: "audit",
      operator: "ann",
      action: "sync.emergency-stop",
      targetType: null,
      outcome: "denied",
      cursor: null,
    },
  ];

  it.each(roundTrips.map((r) => [routeHref(r), r]))("%s parses back to its route", (href, route) => {
    const u = new URL(href, "http://console.test");
    expect(parseRoute(u.pathname, u.search)).toEqual(route);
  });

  it("reads /dashboard and /dashboard/ as the overview", () => {
    expect(parseRoute("/dashboard")).toEqual({ page: "overview" });
    expect(parseRoute("/dashboard/")).toEqual({ page: "overview" });
  });

  it("falls back to defaults for unknown filter values", () => {
    expect(parseRoute("/dashboard/terminals", "?health=purple&sort=size&store=")).toEqual({
      page: "terminals",
      store: null,
      health: "all",
      sort: "lag",
    });
    expect(parseRoute("/dashboard/conflicts", "?status=weird")).toMatchObject({ status: "PENDING" });
  });

  it("answers not-found for unknown pages and extra path segments", () => {
    expect(parseRoute("/dashboard/nope")).toEqual({ page: "not-found", path: "/dashboard/nope" });
    expect(parseRoute("/dashboard/terminals/a/b")).toMatchObject({ page: "not-found" });
    expect(parseRoute("/dashboard/schedules/x")).toMatchObject({ page: "not-found" });
    expect(parseRoute("/elsewhere")).toMatchObject({ page: "not-found" });
  });

  it("decodes ids in the path", () => {
    expect(parseRoute("/dashboard/terminals/home%20office")).toEqual({ page: "terminal", id: "home office" });
  });

  it("keeps sign-in's next inside the console (no open redirect, no loop)", () => {
    const next = (n: string) =>
      (parseRoute("/dashboard/sign-in", `?next=${encodeURIComponent(n)}`) as { next: unknown }).next;
    expect(next("/dashboard/terminals?health=red")).toBe("/dashboard/terminals?health=red");
    expect(next("https://evil.example/")).toBeNull();
    expect(next("//evil.example/dashboard")).toBeNull();
    expect(next("/dashboard//evil.example")).toBeNull();
    expect(next("/dashboardx")).toBeNull();
    expect(next("/dashboard/sign-in?next=/dashboard")).toBeNull();
  });
});
