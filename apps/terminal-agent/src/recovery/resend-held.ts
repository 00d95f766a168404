import { DEFAULT_SYNC_POLICY, parentFirstOrder, type SyncPolicy } from "@tillsync/shared";
import { INDEXED_SQL, statusSql } from "../outbox/outbox-status-sql";
import { toPushChange, type OutboxRow, type OutboxStore, type RejectRetry } from "../outbox/outbox-store";
import { stmt, type SqliteDb } from "../db/terminal-db";
import type { CentralTransport } from "../transport/central-transport";
import { FeedRecoveryInterrupted } from "./recovery-interrupted";

export interface ResendReport {
  /** Changes sent again. */
  sent: number;
  /** Central did not have them (it lost them in a restore) and applied them now. */
  applied: number;
  /** Central still had them: answered DUPLICATE with its first result, nothing changed. */
  duplicates: number;
  conflicts: number;
  /** Rejected now (e.g. their parent is gone from central): back in the queue with backoff, or FAILED. */
  rejected: number;
}

/**
 * Sends again the changes central already confirmed (SYNCED, or decided as a CONFLICT) that the
 * outbox still holds (OUTBOX_RETENTION_DAYS), optionally only those made at or after `since`.
 * After central was restored from an older backup it has lost what it confirmed since the
 * backup; central dedupes by change id, so a change it still knows is a DUPLICATE and changes
 * nothing (G1), here either. Central's other answers are recorded as for any push (versions,
 * rebases, conflicts).
 *
 * What is sent: every row of an append-only table (each stock movement counts) and of a table
 * with merge fields (each change carries its own delta); of any other table only a row's newest
 * change, and only when no later change of the row waits in the outbox: each carries the whole
 * row, and an older one applied after a newer one (already pushed again by this cycle) would
 * take the row back in time. Parents' tables go first, so a line never arrives before its
 * order (G5); within a table, oldest first.
 */
export async function resendHeldChanges(
  db: SqliteDb,
  outbox: Pick<OutboxStore, "recordResults">,
  transport: Pick<CentralTransport, "push">,
  opts: { batchSize: number; rejectRetry: RejectRetry; since?: Date; policy?: SyncPolicy; signal?: AbortSignal },
): Promise<ResendReport> {
  const report: ResendReport = { sent: 0, applied: 0, duplicates: 0, conflicts: 0, rejected: 0 };
  const rows = heldRows(db, opts.policy ?? DEFAULT_SYNC_POLICY, opts.since);
  for (let i = 0; i < rows.length; i += opts.batchSize) {
    // Stopping: what is not re-sent yet goes at the next try (the caller starts it again).
    if (opts.signal?.aborted) throw new FeedRecoveryInterrupted("the re-send of held changes");
    const batch = rows.slice(i, i + opts.batchSize);
    const results = await transport.push(batch.map(toPushChange));
    // A DUPLICATE is a change central kept: its first answer is recorded already, and taking it
    // again would set a row back to the version (or, after a conflict, central's row) of then.
    outbox.recordResults(
      batch,
      results.filter((r) => r.status !== "DUPLICATE"),
      opts.rejectRetry,
    );
    report.sent += batch.length;
    for (const r of results) {
      if (r.status === "DUPLICATE") report.duplicates++;
      else if (r.status === "APPLIED") report.applied++;
      else if (r.status === "CONFLICT") report.conflicts++;
      else report.rejected++;
    }
  }
  return report;
}

/** The rows resendHeldChanges sends, in the order it sends them. */
function heldRows(db: SqliteDb, policy: SyncPolicy, since: Date | undefined): OutboxRow[] {
  const order = parentFirstOrder(policy);
  const everyChange = order.filter((t) => policy[t].appendOnly || policy[t].mergeFields.length > 0);
  const rank = `CASE o.entity_type ${order.map((t, i) => `WHEN '${t}' THEN ${i}`).join(" ")} END`;
  const held = (t: string) =>
    `${t}.status IN (${statusSql("SYNCED")}, ${statusSql("CONFLICT")}) AND ${t}.${INDEXED_SQL} AND ${t}.created_at >= @since`;
  // "No later change of the row" by one window over the rows from the first held one on (a
  // later change has a larger id): the outbox indexes rows by entity only while unconfirmed
  // (capture/outbox-indexes.ts), and a NOT EXISTS per row would scan the later rows each time.
  return stmt(
    db,
    `SELECT o.* FROM (
        SELECT *, max(id) OVER (PARTITION BY entity_type, entity_id) AS newest_id FROM outbox
         WHERE id >= (SELECT coalesce(min(h.id), 0) FROM outbox h WHERE ${held("h")})) o
      WHERE ${held("o")}
        AND (o.entity_type IN (SELECT value FROM json_each(@everyChange)) OR o.id = o.newest_id)
      ORDER BY ${rank}, o.id`,
  ).all({ since: since ? since.toISOString() : "", everyChange: JSON.stringify(everyChange) }) as OutboxRow[];
}
