import http from "node:http";
import type { Client } from "pg";
import { SYNC_TABLES } from "@tillsync/shared";

/**
 * The hostile-input suite's common parts: a checksum of every data table (the synced tables
 * and central's own records of them), a raw HTTP client that sends exactly the bytes and
 * headers a case needs, and the "still healthy" check every case ends with.
 */

/** Tables a hostile request must leave exactly as they were (terminals' last-seen times may move). */
export const DATA_TABLES = [
  ...SYNC_TABLES,
  "stores",
  "applied_changes",
  "conflicts",
  "change_feed",
  "terminal_keys",
  "emergency_stop",
] as const;

/**
 * What a row of a table is, for the checksum: all of it, except that a feed entry is counted
 * without its position (the sequencer numbers committed entries in the background; an entry
 * appearing is a change, its numbering is not).
 */
const rowText = (t: string) =>
  t === "change_feed" ? `(r.id, r.entity_type, r.entity_id, r.operation, r.store_id)::text` : `r::text`;

/** One md5 per table over every row, in a fixed order. */
export async function dataChecksum(pg: Client): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of DATA_TABLES) {
    const { rows } = await pg.query<{ h: string; n: number }>(
      `SELECT md5(coalesce(string_agg(x.t, '|' ORDER BY x.t), '')) AS h, count(*)::int AS n
         FROM (SELECT ${rowText(t)} AS t FROM ${t} r) x`,
    );
    out[t] = `${rows[0]!.n}:${rows[0]!.h}`;
  }
  return out;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: unknown;
}

/** One request with exactly these headers and body bytes (fetch would fix some of them up). */
export function rawRequest(
  base: string,
  opts: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawAnswer> {
  const url = new URL(opts.path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method, headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** A JSON request (the common case): body serialised, content-type and bearer set. */
export function jsonRequest(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return rawRequest(base, {
    method,
    path,
    body: text,
    headers: {
      authorization: `Bearer ${token}`,
      ...(text !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
  });
}

/** The error body's code and message, when the answer has one. */
export function errorOf(a: RawAnswer): { code?: string; message?: string; retryable?: boolean } {
  return ((a.json as { error?: object } | undefined)?.error ?? {}) as {
    code?: string;
    message?: string;
    retryable?: boolean;
  };
}

/** Central still answers /health after the case. */
export async function expectHealthy(base: string): Promise<void> {
  const res = await fetch(`${base}/health`);
  expect(res.status).toBe(200);
}

/** A string of `n` characters. */
export const long = (n: number, ch = "x"): string => ch.repeat(n);
