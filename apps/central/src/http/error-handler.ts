import type { ErrorRequestHandler } from "express";
import {
  DatabaseUnavailableError,
  InternalError,
  PayloadTooLargeError,
  RateLimitedError,
  SyncStoppedError,
  TillsyncError,
  UpgradeRequiredError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "@tillsync/shared";
import { databaseUnavailable } from "../store/database-unavailable";

/** What body-parser and the router throw: an http-errors object with a status and a `type`. */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/**
 * Request-level problems Express and body-parser report before a route runs: each is the
 * client's (4xx), never a 500. `undefined` when the error is not one of them.
 */
export function requestError(err: HttpishError): TillsyncError | undefined {
  switch (err.type) {
    case "entity.parse.failed":
      return new ValidationError("request body is not valid JSON");
    case "entity.too.large":
      return new PayloadTooLargeError("request body is too large; send smaller batches");
    case "charset.unsupported":
      return new UnsupportedMediaTypeError(`${err.message ?? "unsupported charset"}; send JSON in UTF-8`);
    case "encoding.unsupported":
      return new UnsupportedMediaTypeError(
        `${err.message ?? "unsupported content encoding"}; send the body as is, gzip or deflate`,
      );
  }
  const status = err.status ?? err.statusCode;
  // Anything else Express marks as the client's (a body cut short, a path that does not decode...).
  if (status !== undefined && status >= 400 && status < 500 && err.expose !== false)
    return new ValidationError(`malformed request: ${err.message ?? `HTTP ${status}`}`);
  return undefined;
}

/** Seconds to wait, for errors that say when asking again makes sense. */
function retryAfter(e: TillsyncError): number | undefined {
  if (
    !(e instanceof SyncStoppedError) &&
    !(e instanceof RateLimitedError) &&
    !(e instanceof UpgradeRequiredError) &&
    !(e instanceof DatabaseUnavailableError)
  )
    return undefined;
  const s = (e.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof s === "number" && s > 0 ? Math.ceil(s) : undefined;
}

/** While the database is gone every request fails alike: one log line per this many ms, with the count. */
const UNAVAILABLE_LOG_EVERY_MS = 10_000;

/**
 * Every error leaves as `{ error: { code, message, retryable } }`. Typed errors keep their
 * status; request-level problems are 400/413/415; a database that does not answer is a 503
 * DATABASE_UNAVAILABLE with Retry-After (logged once per 10 s, not once per request of a
 * fleet asking again); anything else is a 500 whose details stay in the log.
 */
export function errorHandler(log: (msg: string, err: unknown) => void): ErrorRequestHandler {
  let unavailableSince: { loggedAt: number; count: number } | undefined;
  const logUnavailable = (err: unknown) => {
    const now = Date.now();
    if (unavailableSince && now - unavailableSince.loggedAt < UNAVAILABLE_LOG_EVERY_MS) {
      unavailableSince.count++;
      return;
    }
    const more = unavailableSince?.count ? ` (${unavailableSince.count} more answered 503 since the last line)` : "";
    log(`database unavailable: answering 503 DATABASE_UNAVAILABLE${more}`, err);
    unavailableSince = { loggedAt: now, count: 0 };
  };
  return (err, _req, res, _next) => {
    let e: TillsyncError;
    if (err instanceof TillsyncError) e = err;
    else {
      const known = requestError(err as HttpishError) ?? databaseUnavailable(err);
      if (known instanceof DatabaseUnavailableError) logUnavailable(err);
      if (known) e = known;
      else {
        log("unhandled error", err);
        e = new InternalError("central failed to handle the request; it is logged, retry later");
      }
    }
    const wait = retryAfter(e);
    if (wait !== undefined) res.setHeader("retry-after", String(wait));
    res.status(e.httpStatus).json(e.toJSON());
  };
}
