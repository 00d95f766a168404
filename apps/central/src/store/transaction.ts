import type { Pool, PoolClient, QueryResult, QueryResultRow } from "pg";

/**
 * Anything that runs one statement: the pool (each statement its own transaction) or the
 * client of an open transaction. Store modules are written against this, so the same
 * function serves a route's single write and a step inside the push's transaction.
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * Runs `fn` between BEGIN and COMMIT on a client that already holds a connection (migrations
 * keep one connection for their session-level advisory lock); ROLLBACK when it throws.
 */
export async function inTransaction<T>(client: PoolClient, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    // A failed ROLLBACK means the connection itself is gone; the original error is the news.
    await client.query("ROLLBACK").catch(() => broken.add(client));
    throw err;
  }
}

/** Clients whose ROLLBACK failed: their connection is unusable and must not go back to the pool. */
const broken = new WeakSet<PoolClient>();

/**
 * The one place central opens a transaction: takes a connection from the pool, BEGIN, `fn`,
 * COMMIT (ROLLBACK when `fn` throws), and gives the connection back. A connection whose
 * transaction could not be ended cleanly is destroyed instead of returned, so the pool never
 * hands out a client stuck in an aborted transaction.
 */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const { client, release } = await checkOut(pool);
  try {
    return await inTransaction(client, fn);
  } finally {
    release();
  }
}

/**
 * A connection taken from the pool, with an `error` listener while it is out. pg's pool
 * listens only on idle clients: a checked-out client whose server connection is terminated
 * between two statements (PostgreSQL restarting, an administrator's pg_terminate_backend)
 * emits `error` with nobody listening, and the process dies of it. Here the error marks the
 * client broken (destroyed on release, never handed out again); the next query on it rejects.
 */
export async function checkOut(pool: Pool): Promise<{ client: PoolClient; release: () => void }> {
  const client = await pool.connect();
  const onError = () => broken.add(client);
  client.on("error", onError);
  return {
    client,
    release: () => {
      client.off("error", onError);
      client.release(broken.has(client));
    },
  };
}

let savepoints = 0;

/**
 * Runs `fn` inside a savepoint of the open transaction: when it throws, only its own writes
 * are undone and the transaction goes on (the push isolates a poisoned row this way, G6).
 */
export async function inSavepoint<T>(client: Queryable, fn: () => Promise<T>): Promise<T> {
  // Names only have to differ between savepoints open at the same time; a counter suffices.
  const name = `sp_${++savepoints}`;
  await client.query(`SAVEPOINT ${name}`);
  try {
    const out = await fn();
    await client.query(`RELEASE SAVEPOINT ${name}`);
    return out;
  } catch (err) {
    await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
    throw err;
  }
}
