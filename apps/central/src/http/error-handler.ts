import type { ErrorRequestHandler } from "express";
import { InternalError, RateLimitedError, TillsyncError, ValidationError } from "@tillsync/shared";

/**
 * Every error leaves as `{ error: { code, message, retryable } }`. Typed errors keep their
 * status; a malformed JSON body is a 400; anything else is a 500 whose details stay in the log.
 */
export function errorHandler(log: (msg: string, err: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let e: TillsyncError;
    if (err instanceof TillsyncError) e = err;
    else if ((err as { type?: string }).type === "entity.parse.failed")
      e = new ValidationError("request body is not valid JSON");
    else if ((err as { type?: string }).type === "entity.too.large")
      e = new ValidationError("request body is too large; send smaller batches");
    else {
      log("unhandled error", err);
      e = new InternalError("central failed to handle the request; it is logged, retry later");
    }
    const wait = (e.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (e instanceof RateLimitedError && typeof wait === "number") res.set("Retry-After", String(wait));
    res.status(e.httpStatus).json(e.toJSON());
  };
}
