import type { RequestHandler } from "express";
import {
  CENTRAL_PROTOCOLS,
  checkProtocol,
  PROTOCOL_HEADER,
  readProtocolHeader,
  SCHEMA_HEADER,
  schemaVersionSchema,
  ValidationError,
  type ProtocolRange,
} from "@tillsync/shared";

declare module "express-serve-static-core" {
  interface Request {
    /** The protocol the agent speaks (PROTOCOL_HEADER; UNVERSIONED_PROTOCOL without one), set by protocolGate. */
    protocolVersion?: number;
    /** The agent's schema version (SCHEMA_HEADER), when it sent one: logged, never trusted for the row shape. */
    schemaVersion?: string;
  }
}

export interface ProtocolGateOptions {
  /** The protocols served (default: this build's, CENTRAL_PROTOCOLS); tests pass others. */
  range?: ProtocolRange;
  /**
   * Paths (relative to the mount) served whatever the protocol: the heartbeat, whose body
   * every protocol keeps compatible, so central's console shows a till waiting for an upgrade.
   */
  exempt?: readonly string[];
}

/**
 * Every terminal request under /api/sync names its protocol (PROTOCOL_HEADER). A protocol
 * central does not serve is answered 426 UPGRADE_REQUIRED saying which side to upgrade, before
 * anything is read or written; a malformed header is a 400. The version is left on the
 * request, where the routes pick the row shape of that protocol (policyForProtocol).
 */
export function protocolGate(opts: ProtocolGateOptions = {}): RequestHandler {
  const range = opts.range ?? CENTRAL_PROTOCOLS;
  const exempt = new Set(opts.exempt ?? []);
  return (req, _res, next) => {
    const h = readProtocolHeader(req.headers[PROTOCOL_HEADER]);
    if (!h.ok) return next(new ValidationError(h.reason));
    const schema = req.headers[SCHEMA_HEADER];
    if (schema !== undefined) {
      const s = schemaVersionSchema.safeParse(schema);
      if (!s.success)
        return next(new ValidationError(`${SCHEMA_HEADER} must be a migration name (letters, digits, _ . -)`));
      req.schemaVersion = s.data;
    }
    // Every request line in the log says which protocol and schema the till runs, so an
    // operator sees which tills still run an old release before central drops its protocol.
    req.log = req.log?.child({ protocol: h.version, ...(req.schemaVersion ? { schema: req.schemaVersion } : {}) });
    const refused = checkProtocol(h.version, range);
    if (refused && !exempt.has(req.path)) return next(refused);
    // An exempt request of an unserved protocol is read with the newest shape central knows.
    req.protocolVersion = refused ? range.newest : h.version;
    next();
  };
}

/**
 * The socket handshake's counterpart of protocolGate: the agent names its protocol as
 * `auth.protocol` (a number; absent is UNVERSIONED_PROTOCOL). Returns the error to refuse the
 * handshake with (its `data.code` reaches the client's connect_error), or undefined.
 */
export function handshakeProtocolError(
  auth: unknown,
  range: ProtocolRange = CENTRAL_PROTOCOLS,
): (Error & { data: object }) | undefined {
  const raw = (auth as { protocol?: unknown } | undefined)?.protocol;
  const h = readProtocolHeader(raw === undefined ? undefined : String(raw));
  if (!h.ok)
    return Object.assign(new Error(h.reason.replace(PROTOCOL_HEADER, "auth.protocol")), {
      data: { code: "VALIDATION_FAILED" },
    });
  const refused = checkProtocol(h.version, range);
  if (!refused) return undefined;
  return Object.assign(new Error(refused.message), { data: { code: refused.code, ...refused.details } });
}
