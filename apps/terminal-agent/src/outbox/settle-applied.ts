import type { SyncPolicy, SyncTable } from "@tillsync/shared";
import { hasVersion } from "../capture/trigger-sql";
import { stmt, type SqliteDb } from "../db/terminal-db";
import type { OutboxRow } from "./outbox-store";
import { NO_STATEMENT_JOURNAL, statusSql } from "./outbox-status-sql";

/**
 * Settling a batch's APPLIED answers set-based: one UPDATE of the outbox for the whole batch
 * and one per synced table for the versions central gave, instead of two statements per
 * change (29 ms of a 1,000-change batch went to those per-change statements, issue 15).
 * The versions travel as one JSON array bound to the statement and read with json_each, the
 * sent rows as a bound VALUES list (SETTLE_CHUNK); the planner joins either to the outbox's
 * rowid and each table's primary key (test/settle-applied.test.ts checks the plans and the
 * outcomes against the per-change path).
 */

export interface AppliedAnswer {
  row: OutboxRow;
  version: number;
}

/**
 * Marks SYNCED every sent row that still holds exactly what was sent (G1: the same check the
 * per-change settle makes: operation, data and base_data unchanged since the claim); returns
 * the ids it marked. `confirmed` stays 0 for now: the rows leave the entity index later, many
 * batches at once (OutboxStore's confirm sweep). A row that holds anything else is left to the caller, which turns its
 * unsent rest into a new change.
 */
export function settleSynced(db: SqliteDb, answers: readonly AppliedAnswer[]): Set<number> {
  const marked = new Set<number>();
  const settle = stmt(db, SETTLE_SQL);
  const params: Array<string | number | null> = [];
  for (let at = 0; at < answers.length; at += SETTLE_CHUNK) {
    params.length = 0;
    for (let i = at; i < at + SETTLE_CHUNK; i++) {
      const row = answers[i]?.row;
      // The last chunk is filled up with rows of no id, which match no outbox row.
      if (row) params.push(row.id, row.operation, row.data, row.base_data);
      else params.push(null, null, null, null);
    }
    for (const r of settle.all(params) as Array<{ id: number }>) marked.add(r.id);
  }
  return marked;
}

/**
 * Rows per statement: the sent values are bound as parameters of a VALUES list, not as one
 * JSON array: encoding 1,000 rows' data and base_data into JSON (their quotes escaped) and
 * SQLite taking it apart again with json_each cost ~8 ms a batch, more than the UPDATE itself.
 * 250 rows are 1,000 parameters, well under SQLite's limit, one prepared statement for all.
 */
const SETTLE_CHUNK = 250;
const SETTLE_SQL = `UPDATE ${NO_STATEMENT_JOURNAL} outbox SET status = ${statusSql("SYNCED")}, error = NULL
   FROM (SELECT column1 AS id, column2 AS operation, column3 AS data, column4 AS base_data
           FROM (VALUES ${Array.from({ length: SETTLE_CHUNK }, () => "(?, ?, ?, ?)").join(", ")})) AS s
  WHERE outbox.id = s.id AND outbox.operation = s.operation
    AND outbox.data IS s.data AND outbox.base_data IS s.base_data
  RETURNING outbox.id AS id`;

/**
 * Writes central's version into each answered row of its table, one statement per table. A
 * row answered twice in one batch (its CREATE and a later UPDATE) takes the version of its
 * last change, as the per-change writes in answer order left it. Append-only tables (never
 * edited, so never a base) and deletions are skipped. Returns the answers whose version was
 * written, for the rebase of later changes.
 */
export function writeVersions(db: SqliteDb, policy: SyncPolicy, answers: readonly AppliedAnswer[]): AppliedAnswer[] {
  const written: AppliedAnswer[] = [];
  const byTable = new Map<SyncTable, Map<string, number>>();
  for (const a of answers) {
    const p = policy[a.row.entity_type];
    if (p.appendOnly || a.row.operation === "DELETE" || !hasVersion(p)) continue;
    let versions = byTable.get(a.row.entity_type);
    if (!versions) byTable.set(a.row.entity_type, (versions = new Map()));
    versions.set(a.row.entity_id, a.version);
    written.push(a);
  }
  for (const [table, versions] of byTable) {
    // The table name comes from the policy (code), as in the per-change statement it replaces.
    stmt(
      db,
      `UPDATE ${table} SET version = s.version
         FROM (SELECT value ->> 0 AS id, value ->> 1 AS version FROM json_each(?)) AS s
        WHERE ${table}.id = s.id`,
    ).run(JSON.stringify([...versions]));
  }
  return written;
}
