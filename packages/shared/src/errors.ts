/**
 * The error taxonomy shared by central and the agent. Every error has a literal `code`, says
 * whether retrying can help, and carries a message that tells the reader what to do next.
 * Tell errors apart by `code` (or `instanceof`), never by their text.
 */
export type ErrorCode =
  | "VALIDATION_FAILED"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "CSRF_REJECTED"
  | "RATE_LIMITED"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "NOT_FOUND"
  | "PAYLOAD_TOO_LARGE"
  | "SYNC_STOPPED"
  | "FEED_RESET"
  | "CURSOR_EXPIRED"
  | "CONFLICT"
  | "CONFIG_INVALID"
  | "CENTRAL_UNREACHABLE"
  | "CENTRAL_ERROR"
  | "TIMEOUT"
  | "PROTOCOL_MISMATCH"
  | "UPGRADE_REQUIRED"
  | "DATABASE_UNAVAILABLE"
  | "INTERNAL";

export abstract class TillsyncError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly retryable: boolean;
  /** HTTP status central answers with for this error. */
  abstract readonly httpStatus: number;

  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        retryable: this.retryable,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; retryable: boolean; details?: unknown };
}

/** Input did not match the contract. Fix the request; retrying it unchanged cannot help. */
export class ValidationError extends TillsyncError {
  readonly code = "VALIDATION_FAILED" as const;
  readonly retryable = false;
  readonly httpStatus = 400;
}

/** Missing, unknown, revoked or rotated-out credential. Use a current key. */
export class UnauthorizedError extends TillsyncError {
  readonly code = "UNAUTHORIZED" as const;
  readonly retryable = false;
  readonly httpStatus = 401;
}

/** The caller is known but may not do this (e.g. a terminal acting for another). */
export class ForbiddenError extends TillsyncError {
  readonly code = "FORBIDDEN" as const;
  readonly retryable = false;
  readonly httpStatus = 403;
}

/**
 * A state-changing request made with the console's session cookie lacked the session's CSRF
 * token in `x-csrf-token` (or sent another). Reload the console, which reads the token anew.
 */
export class CsrfRejectedError extends TillsyncError {
  readonly code = "CSRF_REJECTED" as const;
  readonly retryable = false;
  readonly httpStatus = 403;
}

/** Too many attempts (e.g. failed sign-ins from one address). Wait for Retry-After seconds. */
export class RateLimitedError extends TillsyncError {
  readonly code = "RATE_LIMITED" as const;
  readonly retryable = true;
  readonly httpStatus = 429;
}

export class NotFoundError extends TillsyncError {
  readonly code = "NOT_FOUND" as const;
  readonly retryable = false;
  readonly httpStatus = 404;
}

/** The request body is larger than central reads. Send less at once (a smaller batch). */
export class PayloadTooLargeError extends TillsyncError {
  readonly code = "PAYLOAD_TOO_LARGE" as const;
  readonly retryable = false;
  readonly httpStatus = 413;
}

/**
 * The body is not JSON (content-type: application/json), or its charset or content encoding is
 * not one central reads: send JSON in UTF-8.
 */
export class UnsupportedMediaTypeError extends TillsyncError {
  readonly code = "UNSUPPORTED_MEDIA_TYPE" as const;
  readonly retryable = false;
  readonly httpStatus = 415;
}

/** What holds sync at central: the central-wide emergency stop, or an operator's pause of one terminal. */
export interface SyncStopDetails {
  kind: "EMERGENCY_STOP" | "TERMINAL_PAUSED";
  reason: string | null;
  since: string | null;
  by: string | null;
  /** When asking again makes sense. */
  retryAfterSeconds: number;
}

/**
 * Sync is stopped at central (423): an emergency stop or an operator's pause of this terminal.
 * Keep every change in the outbox and try again later; nothing was applied or served.
 */
export class SyncStoppedError extends TillsyncError {
  readonly code = "SYNC_STOPPED" as const;
  readonly retryable = true;
  readonly httpStatus = 423;
  declare readonly details: SyncStopDetails | undefined;
}

/** What a 409 FEED_RESET or 410 CURSOR_EXPIRED says about the feed the terminal should use now. */
export interface FeedLostDetails {
  /** The feed's current epoch. */
  epoch: string;
  /** Why: another epoch, a cursor ahead of the feed's head, or one older than the compacted feed. */
  reason: "EPOCH_CHANGED" | "AHEAD_OF_FEED" | "COMPACTED";
}

/**
 * The feed is not the one the cursor came from (409): central was restored from a backup or
 * re-initialised, so it may lack changes it once confirmed. Re-send every change still held
 * (central dedupes by change id), re-download what central owns, and continue in the new epoch.
 */
export class FeedResetError extends TillsyncError {
  readonly code = "FEED_RESET" as const;
  readonly retryable = true;
  readonly httpStatus = 409;
  declare readonly details: FeedLostDetails | undefined;
}

/**
 * The cursor is older than the compacted feed (410): deletions it has not seen are gone from
 * the feed. Re-download what central owns (keeping unpushed local changes) and continue.
 */
export class CursorExpiredError extends TillsyncError {
  readonly code = "CURSOR_EXPIRED" as const;
  readonly retryable = true;
  readonly httpStatus = 410;
  declare readonly details: FeedLostDetails | undefined;
}

/** The request clashes with existing state (duplicate id, unique sku...). */
export class StateConflictError extends TillsyncError {
  readonly code = "CONFLICT" as const;
  readonly retryable = false;
  readonly httpStatus = 409;
}

/** A configuration variable is missing or malformed; the message names it. Fix and restart. */
export class ConfigError extends TillsyncError {
  readonly code = "CONFIG_INVALID" as const;
  readonly retryable = false;
  readonly httpStatus = 500;
}

/** Central could not be reached (DNS, refused, reset). Retrying later helps. */
export class CentralUnreachableError extends TillsyncError {
  readonly code = "CENTRAL_UNREACHABLE" as const;
  readonly retryable = true;
  readonly httpStatus = 503;
}

/** Central answered 5xx. Retrying later helps. */
export class CentralServerError extends TillsyncError {
  readonly code = "CENTRAL_ERROR" as const;
  readonly retryable = true;
  readonly httpStatus = 502;
}

/** An operation exceeded its time limit. Retrying later helps. */
export class SyncTimeoutError extends TillsyncError {
  readonly code = "TIMEOUT" as const;
  readonly retryable = true;
  readonly httpStatus = 504;
}

/** Central and agent disagree on the wire format: upgrade the older side. */
export class ProtocolMismatchError extends TillsyncError {
  readonly code = "PROTOCOL_MISMATCH" as const;
  readonly retryable = false;
  readonly httpStatus = 502;
}

/** What a 426 says: which side to upgrade, and the protocols each side speaks. */
export interface UpgradeRequiredDetails {
  /** "central": the agent is newer than central; "agent": older than central serves. */
  upgrade: "central" | "agent";
  agentProtocol: number;
  centralOldest: number;
  centralNewest: number;
  /** When asking again makes sense (central may have been upgraded meanwhile). */
  retryAfterSeconds: number;
}

/**
 * Central does not serve the agent's protocol version (426): the message says which side to
 * upgrade and to which protocol. Nothing was applied or served; the agent keeps every change
 * in its outbox and asks again later (it is not a failure the breaker counts).
 */
export class UpgradeRequiredError extends TillsyncError {
  readonly code = "UPGRADE_REQUIRED" as const;
  readonly retryable = true;
  readonly httpStatus = 426;
  declare readonly details: UpgradeRequiredDetails | undefined;
}

/**
 * Central is up but its database does not answer (restarting, failing over, out of
 * connections): nothing was applied or served (503). Keep every change and ask again after
 * `retryAfterSeconds`. Central said "later", so the agent does not count it towards its breaker
 * and asks again within seconds however long the database is gone: a till is back within
 * seconds of the database (G9), where its failure backoff could have waited half a minute.
 */
export class DatabaseUnavailableError extends TillsyncError {
  readonly code = "DATABASE_UNAVAILABLE" as const;
  readonly retryable = true;
  readonly httpStatus = 503;
  declare readonly details: { retryAfterSeconds?: number } | undefined;
}

export class InternalError extends TillsyncError {
  readonly code = "INTERNAL" as const;
  readonly retryable = true;
  readonly httpStatus = 500;
}

const byCode: Record<ErrorCode, new (message: string, details?: unknown) => TillsyncError> = {
  VALIDATION_FAILED: ValidationError,
  UNAUTHORIZED: UnauthorizedError,
  FORBIDDEN: ForbiddenError,
  CSRF_REJECTED: CsrfRejectedError,
  RATE_LIMITED: RateLimitedError,
  UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaTypeError,
  NOT_FOUND: NotFoundError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  SYNC_STOPPED: SyncStoppedError,
  FEED_RESET: FeedResetError,
  CURSOR_EXPIRED: CursorExpiredError,
  CONFLICT: StateConflictError,
  CONFIG_INVALID: ConfigError,
  CENTRAL_UNREACHABLE: CentralUnreachableError,
  CENTRAL_ERROR: CentralServerError,
  TIMEOUT: SyncTimeoutError,
  PROTOCOL_MISMATCH: ProtocolMismatchError,
  UPGRADE_REQUIRED: UpgradeRequiredError,
  DATABASE_UNAVAILABLE: DatabaseUnavailableError,
  INTERNAL: InternalError,
};

/** Rebuilds a typed error from an error body received over the wire. */
export function errorFromBody(body: ErrorBody): TillsyncError {
  const Ctor = byCode[body.error.code] ?? InternalError;
  return new Ctor(body.error.message, body.error.details);
}
