import type { QueryConfig, QueryResult, QueryResultRow } from "pg";
import type { Queryable } from "./transaction";

/** What runs a named statement: a pool or a client (pg's query with a config object). */
interface ConfigQueryable {
  query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>>;
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * One name per statement text, for the whole process: pg refuses a name used for two texts on
 * one connection, and a connection serves many transactions. Bounded, because a statement text
 * can vary with its rows (synced-table-sql.ts turns a column constant across a batch into a
 * scalar); past the bound a new text runs unnamed, as before.
 */
const names = new Map<string, string>();
export const MAX_NAMED_STATEMENTS = 512;

export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED_STATEMENTS) names.set(text, (name = `ts_${names.size + 1}`));
  return name;
}

/**
 * Runs every statement with parameters as a named prepared statement: PostgreSQL parses it
 * once per connection (pg sends Parse only the first time a connection meets the name) and,
 * after five executions, may keep a generic plan instead of planning each Bind. A push sends
 * the same ~10 statements per batch (the gate, the table writes, applied_changes, markSynced),
 * whose parse and planning cost PostgreSQL ~0.1–0.3 ms each, unnamed. A statement without
 * parameters (BEGIN, COMMIT, SAVEPOINT) stays on the simple protocol.
 */
export function withNamedStatements(q: ConfigQueryable): Queryable {
  return {
    query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
      const name = values && values.length > 0 ? statementName(text) : undefined;
      return name ? q.query<R>({ name, text, values }) : q.query<R>(text, values);
    },
  };
}
