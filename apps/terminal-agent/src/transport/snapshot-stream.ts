import http from "node:http";
import https from "node:https";
import { StringDecoder } from "node:string_decoder";
import {
  CentralServerError,
  CentralUnreachableError,
  errorBodySchema,
  errorFromBody,
  ProtocolMismatchError,
  SNAPSHOT_CONTENT_TYPE,
  SyncTimeoutError,
  type ErrorBody,
} from "@tillsync/shared";

/**
 * GET /api/sync/snapshot as a stream of NDJSON lines (protocol/snapshot.ts), read as they
 * arrive: the agent never holds the whole answer, so its memory stays flat however large the
 * catalogue. Lines come in arrays, one per network chunk, to keep the per-row cost low.
 * Backpressure is the socket's: while the consumer writes a batch, nothing more is read.
 */
export type SnapshotLines = AsyncIterable<string[]>;

export interface SnapshotRequest {
  url: URL;
  headers: Record<string, string>;
  connectMs: number;
  /** Silence allowed while waiting for the answer or between two chunks of it. */
  readMs: number;
}

/** Splits chunks into complete lines; a UTF-8 character cut between two chunks stays whole. */
async function* linesOf(res: http.IncomingMessage): SnapshotLines {
  const decoder = new StringDecoder("utf8");
  let tail = "";
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      const parts = (tail + decoder.write(chunk)).split("\n");
      tail = parts.pop()!;
      if (parts.length > 0) yield parts;
    }
  } catch (err) {
    if (err instanceof SyncTimeoutError) throw err;
    throw new CentralUnreachableError(`the snapshot from central was cut off: ${(err as Error).message}; will retry`);
  }
  tail += decoder.end();
  // A last line without its newline is kept: the reader decides whether the stream was complete.
  if (tail.length > 0) yield [tail];
}

async function errorOf(res: http.IncomingMessage, what: string): Promise<Error> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  const status = res.statusCode ?? 0;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    json = undefined;
  }
  const e = errorBodySchema.safeParse(json);
  if (status >= 500) {
    // As http-transport.ts: only central's database 503 is acted on as such.
    if (e.success && e.data.error.code === "DATABASE_UNAVAILABLE") return errorFromBody(e.data as ErrorBody);
    return new CentralServerError(`central answered ${status} to ${what}; will retry`);
  }
  if (e.success) return errorFromBody(e.data as ErrorBody);
  return new ProtocolMismatchError(`central answered ${status} without an error body to ${what}`);
}

/**
 * Opens the snapshot. Resolves to its lines, or to undefined when central answers 404 (a
 * central older than the endpoint: the caller replays the feed instead) or a 200 that is
 * not NDJSON. Other refusals
 * (401, 423, 426) arrive as central's typed errors, network failures as retryable ones.
 */
export function openSnapshot(r: SnapshotRequest): Promise<SnapshotLines | undefined> {
  const what = `GET ${r.url.pathname}`;
  return new Promise((resolve, reject) => {
    const mod = r.url.protocol === "https:" ? https : http;
    // A socket of its own: a long stream must not hold a pooled keep-alive socket.
    const req = mod.request(r.url, { method: "GET", headers: r.headers, agent: false });
    const fail = (err: Error) => {
      req.destroy(err);
      reject(err);
    };
    const connect = setTimeout(
      () => fail(new CentralUnreachableError(`cannot connect to central at ${r.url.host} within ${r.connectMs} ms`)),
      r.connectMs,
    );
    req.on("socket", (s) => (s.connecting ? s.once("connect", () => clearTimeout(connect)) : clearTimeout(connect)));
    req.setTimeout(r.readMs, () =>
      req.destroy(new SyncTimeoutError(`central sent nothing for ${r.readMs} ms during ${what}; will retry`)),
    );
    req.on("error", (err) => {
      clearTimeout(connect);
      reject(
        err instanceof SyncTimeoutError
          ? err
          : new CentralUnreachableError(`cannot reach central at ${r.url.host}: ${err.message}; will retry`),
      );
    });
    req.on("response", (res) => {
      clearTimeout(connect);
      const status = res.statusCode ?? 0;
      // 404: a central older than the endpoint. A 200 that is not NDJSON is no snapshot either
      // (a proxy's page, a stand-in central): the feed replay, checked page by page, is safe.
      if (
        status === 404 ||
        (status === 200 && !String(res.headers["content-type"]).startsWith(SNAPSHOT_CONTENT_TYPE))
      ) {
        res.resume();
        resolve(undefined);
      } else if (status !== 200) {
        errorOf(res, what).then(reject, reject);
      } else {
        resolve(linesOf(res));
      }
    });
    req.end();
  });
}
