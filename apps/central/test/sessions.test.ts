import { request } from "node:http";
import { CSRF_HEADER_NAME, SESSION_TTL_SECONDS, sessionSchema } from "@tillsync/shared";
import { useTestCentral } from "../testing";
import { bearer, signIn } from "./support/console-session";

const { central, pg } = useTestCentral("sessions");

/** POST /api/session from a chosen loopback address (failed attempts are counted per address). */
function signInFrom(address: string, token: string): Promise<{ status: number; retryAfter?: string; body: string }> {
  const url = new URL(`${central.url}/api/session`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: url.port,
        path: url.pathname,
        method: "POST",
        localAddress: address,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () =>
          resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"] as string | undefined, body }),
        );
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ token }));
  });
}

describe("console sessions", () => {
  it("signs in with an operator token: httpOnly SameSite=Strict cookie that expires, and the session with a CSRF token", async () => {
    const op = await central.createOperator("sam", "operator");
    const s = await signIn(central.url, op.token);
    expect(s.setCookie).toMatch(/^tillsync_session=[A-Za-z0-9_-]{40,};/);
    expect(s.setCookie).toMatch(/HttpOnly/);
    expect(s.setCookie).toMatch(/SameSite=Strict/);
    expect(s.setCookie).toMatch(new RegExp(`Max-Age=${SESSION_TTL_SECONDS}`));
    expect(s.setCookie).toMatch(/Path=\//);
    expect(sessionSchema.parse(s.session).operator).toEqual({ id: op.id, name: "sam", role: "operator" });
    const again = await s.call("GET", "/api/session");
    expect(again.status).toBe(200);
    expect(again.body).toEqual(s.session);
    // Only a hash of the cookie's id is stored.
    const id = s.cookie.split("=")[1]!;
    expect(
      (await pg.query(`SELECT count(*)::int AS n FROM operator_sessions WHERE id_hash = $1`, [id])).rows[0].n,
    ).toBe(0);
    expect(
      (await pg.query(`SELECT last_sign_in_at FROM operators WHERE id = $1`, [op.id])).rows[0].last_sign_in_at,
    ).not.toBeNull();
  });

  it("signs the owner in with ADMIN_TOKEN as an admin named owner", async () => {
    const s = await signIn(central.url, central.adminToken);
    expect(s.session.operator).toEqual({ id: null, name: "owner", role: "admin" });
  });

  it("needs the CSRF token and a same Origin on every state-changing cookie request; bearer calls need neither", async () => {
    const s = await signIn(central.url, central.adminToken);
    const body = { name: "CSRF store" };
    const count = async () => Number((await pg.query(`SELECT count(*) FROM stores`)).rows[0].count);
    const before = await count();
    for (const opts of [{ csrf: null }, { csrf: "x".repeat(32) }, { origin: "http://evil.example" }]) {
      const r = await s.call<{ error: { code: string } }>("POST", "/api/stores", body, opts);
      expect([r.status, r.body.error.code]).toEqual([403, "CSRF_REJECTED"]);
    }
    expect(await count()).toBe(before);
    const ok = await s.call("POST", "/api/stores", body, { origin: central.url });
    expect(ok.status).toBe(201);
    expect((await bearer(central.url, central.adminToken, "POST", "/api/stores", body)).status).toBe(201);
    // Reads need no CSRF token.
    expect((await s.call("GET", "/api/terminals", undefined, { csrf: null })).status).toBe(200);
  });

  it("refuses non-JSON bodies with 415, so a cross-site form cannot reach a handler", async () => {
    const s = await signIn(central.url, central.adminToken);
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      const r = await fetch(`${central.url}/api/stores`, {
        method: "POST",
        headers: { cookie: s.cookie, "content-type": type, [CSRF_HEADER_NAME]: s.session.csrfToken },
        body: "name=Evil",
      });
      expect(r.status).toBe(415);
    }
  });

  it("refuses a sign-in posted from another origin (login CSRF)", async () => {
    const r = await fetch(`${central.url}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ token: central.adminToken }),
    });
    expect(r.status).toBe(403);
    expect(r.headers.get("set-cookie")).toBeNull();
  });

  it("signs out: the cookie is cleared and the session no longer works", async () => {
    const s = await signIn(central.url, central.adminToken);
    expect((await s.call("POST", "/api/session/sign-out", {}, { csrf: null })).status).toBe(403);
    const out = await s.call("POST", "/api/session/sign-out", {});
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ signedOut: true });
    expect(out.headers.get("set-cookie")).toMatch(/tillsync_session=;.*Max-Age=0/);
    expect((await s.call("GET", "/api/session")).status).toBe(401);
    expect((await s.call("GET", "/api/terminals")).status).toBe(401);
  });

  it("ends sessions at their expiry and when their operator is revoked", async () => {
    const a = await central.createOperator("expiring", "viewer");
    const s1 = await signIn(central.url, a.token);
    await pg.query(`UPDATE operator_sessions SET expires_at = now() - interval '1 second' WHERE operator_id = $1`, [
      a.id,
    ]);
    expect((await s1.call("GET", "/api/terminals")).status).toBe(401);
    const b = await central.createOperator("revoked-later", "admin");
    const s2 = await signIn(central.url, b.token);
    expect((await s2.call("GET", "/api/terminals")).status).toBe(200);
    expect((await central.admin("POST", `/api/operators/${b.id}/revoke`, {})).status).toBe(200);
    expect((await s2.call("GET", "/api/terminals")).status).toBe(401);
    expect((await bearer(central.url, b.token, "GET", "/api/terminals")).status).toBe(401);
  });

  it("answers every refused token with the same 401 and message, and slows an address down after 5 failures", async () => {
    const revoked = await central.createOperator("gone", "admin");
    await central.admin("POST", `/api/operators/${revoked.id}/revoke`, {});
    const tries = [revoked.token, "tso_unknown", central.adminToken.slice(0, -1), "x"];
    const answers = await Promise.all(tries.map((t) => signInFrom("127.0.0.2", t)));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(JSON.parse(answers[0]!.body).error.message).toMatch(/not accepted/);
    expect((await signInFrom("127.0.0.2", "wrong again")).status).toBe(401);
    // The sixth attempt within the minute is refused, even with the right token.
    const limited = await signInFrom("127.0.0.2", central.adminToken);
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body).error.code).toBe("RATE_LIMITED");
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    // Another address and an existing session are unaffected.
    expect((await signInFrom("127.0.0.3", central.adminToken)).status).toBe(200);
    const audit = await pg.query(
      `SELECT outcome, count(*)::int AS n FROM audit_log WHERE action = 'session.sign-in' AND operator_name = '(unknown)' GROUP BY outcome`,
    );
    expect(audit.rows).toEqual([{ outcome: "denied", n: 6 }]);
  });

  it("answers GET /api/session 401 without a session cookie", async () => {
    expect((await fetch(`${central.url}/api/session`)).status).toBe(401);
    expect((await bearer(central.url, central.adminToken, "GET", "/api/session")).status).toBe(401);
  });
});
