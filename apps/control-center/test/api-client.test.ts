import { CSRF_HEADER_NAME } from "@tillsync/shared";
import { createApiClient } from "../src/api/api-client";
import { ApiError } from "../src/api/api-error";
import { terminalList } from "./fixtures";

interface Call {
  url: string;
  init: RequestInit;
}

const session = {
  operator: { id: null, name: "owner", role: "admin" },
  expiresAt: "2026-12-01T18:00:00.000Z",
  csrfToken: "csrf-0123456789abcdef",
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** A fetch that records each call and answers from a table of path → response. */
function fakeFetch(answers: Record<string, () => Response>) {
  const calls: Call[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const answer = answers[`${init.method} ${url.split("?")[0]}`];
    if (!answer) throw new TypeError("fetch failed");
    return answer();
  };
  const header = (c: Call, name: string) => (c.init.headers as Record<string, string>)[name];
  return { fetch, calls, header };
}

describe("console API client", () => {
  it("sends the session's CSRF token on every state-changing call and never on reads", async () => {
    const f = fakeFetch({
      "GET /api/session": () => json(200, session),
      "GET /api/terminals": () => json(200, terminalList([])),
      "POST /api/sync/emergency-stop": () =>
        json(200, { stopped: true, since: session.expiresAt, reason: "r", by: "owner" }),
      "POST /api/sync/resume": () => json(200, { stopped: false, since: null, reason: null }),
    });
    const api = createApiClient({ fetch: f.fetch });
    await api.session.get();
    await api.terminals.list();
    await api.sync.emergencyStop("till 3 sends garbage");
    await api.sync.resume();
    expect(f.calls.map((c) => [c.init.method, f.header(c, CSRF_HEADER_NAME) ?? null])).toEqual([
      ["GET", null],
      ["GET", null],
      ["POST", session.csrfToken],
      ["POST", session.csrfToken],
    ]);
    expect(f.calls.every((c) => c.init.credentials === "same-origin")).toBe(true);
    expect(JSON.parse(String(f.calls[2]!.init.body))).toEqual({ reason: "till 3 sends garbage" });
  });

  it("takes the token from sign-in and drops it at sign-out", async () => {
    const f = fakeFetch({
      "POST /api/session": () => json(200, { ...session, csrfToken: "csrf-after-sign-in-000" }),
      "POST /api/session/sign-out": () => json(200, { signedOut: true }),
      "POST /api/sync/resume": () => json(200, { stopped: false, since: null, reason: null }),
    });
    const api = createApiClient({ fetch: f.fetch });
    await api.sync.resume();
    await api.session.signIn("tok");
    await api.sync.resume();
    await api.session.signOut();
    await api.sync.resume();
    expect(f.calls.map((c) => f.header(c, CSRF_HEADER_NAME) ?? null)).toEqual([
      null,
      null,
      "csrf-after-sign-in-000",
      "csrf-after-sign-in-000",
      null,
    ]);
  });

  it("turns error bodies into ApiErrors with central's code and a clear message", async () => {
    const f = fakeFetch({
      "POST /api/terminals/t1/disable": () =>
        json(403, { error: { code: "FORBIDDEN", message: "viewer may not terminal.disable", retryable: false } }),
      "POST /api/session": () =>
        json(429, { error: { code: "RATE_LIMITED", message: "slow down", retryable: true } }, { "retry-after": "30" }),
    });
    const api = createApiClient({ fetch: f.fetch });
    const denied = await api.terminals.disable("t1", "broken screen").catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ApiError);
    expect(denied).toMatchObject({ status: 403, code: "FORBIDDEN" });
    expect((denied as ApiError).userMessage()).toBe(
      "Your role does not allow this action. Ask an admin if you need it.",
    );
    const slowed = (await api.session.signIn("x").catch((e: unknown) => e)) as ApiError;
    expect(slowed.retryAfterSeconds).toBe(30);
    expect(slowed.userMessage()).toBe("Too many attempts. Try again in 30 seconds.");
  });

  it("parses every answer with the shared schema and rejects one that does not fit", async () => {
    const f = fakeFetch({ "GET /api/terminals": () => json(200, { terminals: [{ id: "nope" }] }) });
    const err = (await createApiClient({ fetch: f.fetch })
      .terminals.list()
      .catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe("CONTRACT_MISMATCH");
    expect(err.message).toMatch(/^\/api\/terminals: terminals\.0\.id/);
  });

  it("reports an unreachable central as status 0", async () => {
    const err = (await createApiClient({ fetch: fakeFetch({}).fetch })
      .sync.status()
      .catch((e: unknown) => e)) as ApiError;
    expect([err.status, err.code]).toEqual([0, "CENTRAL_UNREACHABLE"]);
  });

  it("passes filters as query parameters, leaving out empty ones", async () => {
    const f = fakeFetch({ "GET /api/conflicts": () => json(200, { conflicts: [], nextCursor: null }) });
    await createApiClient({ fetch: f.fetch }).conflicts.list({
      status: "PENDING",
      entityType: null,
      cursor: "c 1",
      limit: 25,
    });
    expect(f.calls[0]!.url).toBe("/api/conflicts?status=PENDING&cursor=c+1&limit=25");
  });

  it("names the endpoint paths of terminal actions with the id encoded", async () => {
    const ok = () => json(200, { terminalId: "8b3c4a4e-2f0d-4c8e-9a43-8d1f1c9e0a11", status: "ONLINE", paused: true });
    const f = fakeFetch({ "POST /api/terminals/a%2Fb/pause": ok });
    await createApiClient({ fetch: f.fetch }).terminals.pause("a/b", "");
    expect(JSON.parse(String(f.calls[0]!.init.body))).toEqual({});
  });
});
