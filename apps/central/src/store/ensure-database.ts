import { Client } from "pg";

/** PostgreSQL's error code for "database does not exist". */
const INVALID_CATALOG_NAME = "3D000";

/** Quotes a PostgreSQL identifier (database names come from DATABASE_URL, an operator's input). */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates the database DATABASE_URL names when the server does not have it yet (a fresh
 * machine: `npm run central` should not stop at "database tillsync does not exist"). Connects
 * to the server's `postgres` maintenance database to do so. Returns true when it created it.
 * Another instance creating it at the same moment is fine (duplicate_database is ignored).
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const probe = new Client({ connectionString: databaseUrl });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== INVALID_CATALOG_NAME) throw err;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = "/postgres";
  const admin = new Client({ connectionString: url.toString() });
  admin.on("error", () => undefined);
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "42P04") return false; // created meanwhile by another instance
    throw new Error(
      `database ${name} does not exist and could not be created (${(err as Error).message}); create it with: createdb ${name}`,
    );
  } finally {
    await admin.end().catch(() => undefined);
  }
}
