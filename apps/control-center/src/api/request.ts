import { CSRF_HEADER_NAME, describeZodError, errorBodySchema } from "@tillsync/shared/browser";
import type { z } from "zod";
import { ApiError } from "./api-error";

/**
 * One call to central's JSON API: same-origin with the session cookie, the CSRF token on
 * every state-changing call, and every answer parsed with the shared schema of that endpoint.
 */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RequestOptions<S extends z.ZodType> {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | null | undefined>;
  body?: unknown;
  schema: S;
}

export interface Transport {
  call<S extends z.ZodType>(opts: RequestOptions<S>): Promise<z.output<S>>;
  setCsrfToken(token: string | null): void;
}

function url(base: string, path: string, query: RequestOptions<z.ZodType>["query"]): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return `${base}${path}${s ? `?${s}` : ""}`;
}

async function errorOf(res: Response): Promise<ApiError> {
  const retryAfter = Number(res.headers.get("retry-after"));
  const json: unknown = await res.json().catch(() => null);
  const parsed = errorBodySchema.safeParse(json);
  const code = parsed.success ? parsed.data.error.code : `HTTP_${res.status}`;
  const message = parsed.success ? parsed.data.error.message : `${res.status} ${res.statusText}`.trim();
  return new ApiError(res.status, code, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
}

export function createTransport(fetchImpl: FetchLike, baseUrl = ""): Transport {
  let csrfToken: string | null = null;
  return {
    setCsrfToken(token) {
      csrfToken = token;
    },
    async call<S extends z.ZodType>(opts: RequestOptions<S>): Promise<z.output<S>> {
      const headers: Record<string, string> = { accept: "application/json" };
      if (opts.body !== undefined) headers["content-type"] = "application/json";
      if (opts.method !== "GET" && csrfToken) headers[CSRF_HEADER_NAME] = csrfToken;
      let res: Response;
      try {
        res = await fetchImpl(url(baseUrl, opts.path, opts.query), {
          method: opts.method,
          headers,
          credentials: "same-origin",
          ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        });
      } catch (err) {
        throw new ApiError(0, "CENTRAL_UNREACHABLE", (err as Error).message);
      }
      if (!res.ok) throw await errorOf(res);
      const json: unknown = await res.json().catch(() => undefined);
      const parsed = opts.schema.safeParse(json);
      if (!parsed.success)
        throw new ApiError(res.status, "CONTRACT_MISMATCH", `${opts.path}: ${describeZodError(parsed.error)}`);
      return parsed.data;
    },
  };
}
