import type { NextFunction, Request, RequestHandler, Response } from "express";

/** Express 5 forwards rejected promises itself; this only gives handlers a typed shape. */
export function route(fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    fn(req, res, next).catch(next);
  };
}
