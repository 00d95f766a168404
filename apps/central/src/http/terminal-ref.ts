import type { RequestHandler } from "express";
import { NotFoundError } from "@tillsync/shared";
import type { TerminalQueries } from "../store/terminals";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A terminal's human code is accepted wherever its id is: `/terminals/<code>/...` is rewritten to
 * `/terminals/<id>/...` before the routes see it, so every route taking `:id` (whoever wrote it)
 * accepts both. Mounted in the operator router, after authentication.
 */
export function terminalRefRewrite(terminals: Pick<TerminalQueries, "resolveRef">): RequestHandler {
  return (req, _res, next) => {
    const m = /^\/terminals\/([^/?]+)/.exec(req.url);
    if (!m) return next();
    let ref: string;
    try {
      ref = decodeURIComponent(m[1]!);
    } catch {
      return next();
    }
    if (UUID.test(ref)) return next();
    terminals.resolveRef(ref).then((id) => {
      if (!id) return next(new NotFoundError(`terminal ${ref} does not exist (neither an id nor a code)`));
      req.url = `/terminals/${id}${req.url.slice(m[0].length)}`;
      next();
    }, next);
  };
}
