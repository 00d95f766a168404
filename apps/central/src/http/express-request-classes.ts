import { IncomingMessage, ServerResponse } from "node:http";
import type { Express } from "express";

/**
 * The classes the HTTP server makes its requests and responses with, whose prototypes become the
 * app's `app.request` / `app.response` once the app exists (`adopt`), so that Express's
 * per-request `Object.setPrototypeOf(req, app.request)` (and the same for res) finds the
 * prototype already set and changes nothing.
 *
 * Why: a request whose prototype is changed after it was made keeps much of its garbage alive
 * through the next scavenges. Measured with a bare Express app (one route, express.json) at 333
 * requests/s over 256 keep-alive connections: 1.6 MB of each scavenge's ~5 MB survived and
 * 0.5 MB was promoted to the old generation, against 9 KB and 5 KB with these classes; in
 * central with 10,000 sockets, ~2.7 MB survived and ~2.7 MB was promoted per scavenge (old space
 * +5.5 MB/s, scavenges of 15-40 ms, and the mark-compacts that followed: the slow tails of the
 * heartbeat bench, bench/README.md "Heartbeats, round 6").
 */
export interface ExpressRequestClasses {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
  /** Makes these classes' prototypes the app's request and response prototypes (once, before listen). */
  adopt(app: Express): void;
}

export function expressRequestClasses(): ExpressRequestClasses {
  class AppRequest extends IncomingMessage {}
  class AppResponse extends ServerResponse {}
  return {
    IncomingMessage: AppRequest,
    ServerResponse: AppResponse as typeof ServerResponse,
    adopt(app) {
      adoptPrototype(AppRequest.prototype, app.request, app);
      adoptPrototype(AppResponse.prototype, app.response, app);
      app.request = AppRequest.prototype as Express["request"];
      app.response = AppResponse.prototype as Express["response"];
    },
  };
}

/**
 * `target` takes the place of Express's `app.request` (or `app.response`): the same prototype
 * chain (Express's methods, then node's) and the same own properties (`app`).
 */
function adoptPrototype(target: object, expressProto: object, app: Express): void {
  Object.setPrototypeOf(target, Object.getPrototypeOf(expressProto));
  for (const key of Reflect.ownKeys(expressProto))
    Object.defineProperty(target, key, Object.getOwnPropertyDescriptor(expressProto, key)!);
  if (!Object.prototype.hasOwnProperty.call(target, "app"))
    Object.defineProperty(target, "app", { configurable: true, enumerable: true, writable: true, value: app });
}
