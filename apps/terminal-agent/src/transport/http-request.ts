import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { CentralUnreachableError, SyncTimeoutError } from "@tillsync/shared";

/** The three clocks of one request to central (SPEC §5). */
export interface HttpTimeouts {
  /** TCP (and TLS) connect: a central that does not answer SYN is down, not slow. */
  connectMs: number;
  /** Silence on an open connection while waiting for, or reading, the answer. */
  readMs: number;
  /** The whole operation, however it trickles (SYNC_TIMEOUT). */
  totalMs: number;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };

/**
 * A keep-alive socket central closed while idle, found out only when the next request is
 * written to it: the request never reached central, so it is sent again on a fresh socket.
 */
class StaleSocketError extends Error {}

/**
 * One HTTP request with separate connect, read and total deadlines. fetch() has only one
 * signal for all three, so a central that accepts connections but answers slowly would be
 * treated like one that is unreachable. Keep-alive sockets are unref'd by Node when idle, so
 * they never hold a CLI process open. A request that fails on a reused socket before any
 * answer is retried once on a new one (Node's documented remedy for the keep-alive race;
 * every request to central is idempotent, pushes are deduplicated by change id).
 */
export async function httpRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  t: HttpTimeouts,
): Promise<HttpAnswer> {
  try {
    return await attempt(url, method, headers, body, t);
  } catch (err) {
    if (!(err instanceof StaleSocketError)) throw err;
    return attempt(url, method, headers, body, t, false);
  }
}

function attempt(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  t: HttpTimeouts,
  mayReuse = true,
): Promise<HttpAnswer> {
  const what = `${method} ${url.pathname}`;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const mod = url.protocol === "https:" ? https : http;
    const req = mod.request(url, {
      method,
      headers: body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) },
      agent: mayReuse ? agents[url.protocol as "http:" | "https:"] : false,
    });
    let answered = false;
    const fail = (err: Error) => {
      clearTimeout(total);
      req.destroy();
      reject(err);
    };
    req.on("error", (err) =>
      fail(
        req.reusedSocket && !answered && isResetBeforeAnswer(err)
          ? new StaleSocketError(err.message)
          : new CentralUnreachableError(`cannot reach central at ${url.host}: ${err.message}; will retry`),
      ),
    );
    // The request's own idle timeout: Node moves it with the request across keep-alive
    // sockets (a socket-level listener would pile up on a reused socket).
    req.setTimeout(t.readMs, () =>
      fail(new SyncTimeoutError(`central sent nothing for ${t.readMs} ms during ${what}; will retry`)),
    );
    const total = setTimeout(
      () => fail(new SyncTimeoutError(`${what} took longer than ${t.totalMs} ms; will retry`)),
      t.totalMs,
    );
    req.on("socket", (socket) => watchConnect(socket, url, t.connectMs, fail));
    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(total);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", (err) =>
        fail(new CentralUnreachableError(`connection to central lost during ${what}: ${err.message}; will retry`)),
      );
    });
    req.end(body);
  });
}

function isResetBeforeAnswer(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED";
}

/** Fails the request when a new socket has not connected within connectMs. */
function watchConnect(socket: Socket, url: URL, connectMs: number, fail: (err: Error) => void): void {
  if (!socket.connecting) return;
  const connect = setTimeout(
    () =>
      fail(new CentralUnreachableError(`cannot connect to central at ${url.host} within ${connectMs} ms; will retry`)),
    connectMs,
  );
  socket.once("connect", () => clearTimeout(connect));
  socket.once("close", () => clearTimeout(connect));
}
