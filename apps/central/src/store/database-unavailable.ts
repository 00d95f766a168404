import { DatabaseUnavailableError } from "@tillsync/shared";

/**
 * How soon a terminal asks again when the database did not answer. Short: a PostgreSQL restart
 * or failover takes seconds, and each ask is one refused connection at central; the agent adds
 * its own jitter, so a fleet does not come back in one wave.
 */
export const DATABASE_RETRY_AFTER_S = 2;

/**
 * Connection-level failures: the database is not there (or not accepting), as opposed to a
 * statement it refused. SQLSTATE class 08 (connection exception) and 57P01–57P03 (admin or crash
 * shutdown, cannot connect now: "the database system is shutting down / starting up"), socket
 * errors, and what node-postgres and Prisma's driver adapter say when a connection was lost.
 */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"]);
const LOST_CONNECTION =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|database system is (shutting down|starting up|in recovery mode)|terminating connection due to administrator command|Can't reach database server|Server has closed the connection/i;

function connectionLevel(e: Record<string, unknown>): boolean {
  const code = typeof e.code === "string" ? e.code : undefined;
  if (code && (SOCKET_CODES.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code))) return true;
  // Prisma: P1001 can't reach the server, P1017 it closed the connection, P2024 no connection from the pool in time.
  if (code && /^P(1001|1017|2024)$/.test(code)) return true;
  return typeof e.message === "string" && LOST_CONNECTION.test(e.message);
}

/**
 * Whether `err` (or what it wraps: `cause`, Prisma's `meta.driverAdapterError`, an
 * AggregateError's errors) says the database is unreachable rather than that a statement failed.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== "object" || err === null) return false;
  const e = err as Record<string, unknown>;
  if (connectionLevel(e)) return true;
  const meta = e.meta as Record<string, unknown> | undefined;
  const nested: unknown[] = [e.cause, meta?.driverAdapterError, ...(Array.isArray(e.errors) ? e.errors : [])];
  return nested.some((n) => isDatabaseUnavailable(n, depth + 1));
}

/** The 503 a terminal acts on (ask again in DATABASE_RETRY_AFTER_S), for an `err` that is one; else undefined. */
export function databaseUnavailable(err: unknown): DatabaseUnavailableError | undefined {
  if (!isDatabaseUnavailable(err)) return undefined;
  return new DatabaseUnavailableError(
    `central's database is not answering; nothing was applied or served, ask again in ${DATABASE_RETRY_AFTER_S} s`,
    { retryAfterSeconds: DATABASE_RETRY_AFTER_S },
  );
}
