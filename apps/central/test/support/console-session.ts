import { CSRF_HEADER_NAME, SESSION_COOKIE_NAME, type Session } from "@tillsync/shared";

/** A signed-in console as a browser would be: the session cookie, and the CSRF token in memory. */
export interface ConsoleSession {
  cookie: string;
  session: Session;
  setCookie: string;
  /** A request with the cookie (and the CSRF token on POST unless `csrf: null`). */
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    opts?: { csrf?: string | null; origin?: string },
  ): Promise<{ status: number; body: T; headers: Headers }>;
}

export async function signIn(url: string, token: string): Promise<ConsoleSession> {
  const res = await fetch(`${url}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get("set-cookie") ?? "";
  const m = new RegExp(`${SESSION_COOKIE_NAME}=([^;]+)`).exec(setCookie);
  if (!m) throw new Error(`sign-in set no cookie: ${setCookie}`);
  const cookie = `${SESSION_COOKIE_NAME}=${m[1]}`;
  const session = (await res.json()) as Session;
  return {
    cookie,
    session,
    setCookie,
    async call(method, path, body, opts = {}) {
      const csrf = opts.csrf === undefined ? session.csrfToken : opts.csrf;
      const r = await fetch(`${url}${path}`, {
        method,
        headers: {
          cookie,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(method !== "GET" && csrf ? { [CSRF_HEADER_NAME]: csrf } : {}),
          ...(opts.origin ? { origin: opts.origin } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      return { status: r.status, body: (text ? JSON.parse(text) : {}) as never, headers: r.headers };
    },
  };
}

/** A call with `Authorization: Bearer <token>`. */
export async function bearer<T = Record<string, unknown>>(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const send = () =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  // Node's server closes idle keep-alive sockets after 5 s; a pooled one may die just as it is
  // reused (STACK_NOTES). Such a request never reached central, so sending it again is safe.
  const r = await send().catch((err: Error) => {
    if (/other side closed|ECONNRESET/.test(String((err.cause as Error | undefined)?.message ?? err.message)))
      return send();
    throw err;
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : {}) as T };
}
