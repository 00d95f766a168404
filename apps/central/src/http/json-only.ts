import type { RequestHandler } from "express";
import { UnsupportedMediaTypeError } from "@tillsync/shared";

/**
 * State-changing API requests carry JSON or nothing: a cross-site HTML form (urlencoded,
 * multipart, text/plain) is refused before any handler runs, whatever cookie it carries.
 */
export function jsonBodiesOnly(): RequestHandler {
  return (req, _res, next) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    const type = req.headers["content-type"];
    const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
    if ((type !== undefined || hasBody) && !req.is("application/json"))
      return next(
        new UnsupportedMediaTypeError(
          `send the body as JSON (content-type: application/json), not ${type ?? "untyped"}`,
        ),
      );
    next();
  };
}
