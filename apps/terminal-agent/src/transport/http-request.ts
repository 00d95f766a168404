import http from "node:http";
import https from "node:https";
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
 * One HTTP request with separate connect, read and total deadlines. fetch() has only one
 * signal for all three, so a central that accepts connections but answers slowly would be
 * treated like one that is unreachable. Keep-alive sockets are unref'd by Node when idle, so
 * they never hold a CLI process open.
 */
export function httpRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  t: HttpTimeouts,
): Promise<HttpAnswer> {
  const what = `${method} ${url.pathname}`;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const mod = url.protocol === "https:" ? https : http;
    const req = mod.request(url, {
      method,
      headers: body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) },
      agent: agents[url.protocol as "http:" | "https:"],
    });
    const fail = (err: Error) => {
      clearTimeout(total);
      req.destroy();
      reject(err);
    };
    req.on("error", (err) =>
      fail(new CentralUnreachableError(`cannot reach central at ${url.host}: ${err.message}; will retry`)),
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
    req.on("socket", (socket) => {
      if (!socket.connecting) return;
      const connect = setTimeout(
        () =>
          fail(
            new CentralUnreachableError(
              `cannot connect to central at ${url.host} within ${t.connectMs} ms; will retry`,
            ),
          ),
        t.connectMs,
      );
      socket.once("connect", () => clearTimeout(connect));
      socket.once("close", () => clearTimeout(connect));
    });
    req.on("response", (res) => {
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
