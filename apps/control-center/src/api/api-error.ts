/**
 * What went wrong with a call to central, in the words the console shows. One class with the
 * HTTP status and the error code central sent (never told apart by message text).
 */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when central could not be reached at all. */
    readonly status: number,
    /** Central's error code (`FORBIDDEN`, `VALIDATION_FAILED`...), or a console one. */
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The session is gone (expired, signed out elsewhere, operator revoked): sign in again. */
  get signedOut(): boolean {
    return this.status === 401;
  }

  /** One sentence for the operator, saying what to do next. */
  userMessage(): string {
    switch (true) {
      case this.status === 0:
        return "Central cannot be reached. Check the network; the console retries on its own.";
      case this.status === 401:
        return "Your session has ended. Sign in again.";
      case this.status === 403 && this.code === "CSRF_REJECTED":
        return "This page's session check failed. Reload the page and try again.";
      case this.status === 403:
        return "Your role does not allow this action. Ask an admin if you need it.";
      case this.status === 429:
        return `Too many attempts. Try again in ${this.retryAfterSeconds ?? 60} seconds.`;
      case this.code === "CONTRACT_MISMATCH":
        return `Central answered in a form this console does not understand (${this.message}). Update central or the console.`;
      case this.status >= 500:
        return `Central had a problem: ${this.message}. Try again in a moment.`;
      default:
        return this.message;
    }
  }
}
