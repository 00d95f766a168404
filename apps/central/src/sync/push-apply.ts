import { randomUUID } from "node:crypto";
import type { PoolClient } from "pg";
import {
  parentFirstOrder,
  type ConflictId,
  type FirstResult,
  type PushChange,
  type PushResult,
  type SyncPolicy,
  type TablePolicy,
} from "@tillsync/shared";
import type { AuthedTerminal } from "../auth/bearer";
import type { CentralDb } from "../db/database";
import { decide, type ConflictOutcome } from "./conflict-resolution";
import { prepareChange, type PreparedChange } from "./push-prepare";
import {
  appendAdjustments,
  deleteRows,
  existingIds,
  isRowLevelError,
  lockRows,
  upsertRows,
  type Row,
} from "./table-writer";

/**
 * Applies one pushed batch in a single transaction (G1, G5):
 *  1. validate each change without the database (rejections are final);
 *  2. look the change ids up in applied_changes; ids already there are DUPLICATEs and get the
 *     result they were first given (also when that first attempt's response was lost);
 *  3. apply the rest per table, parents before children, set-based; a row-level database
 *     error is isolated to its change, which is REJECTED, without failing the batch (G6);
 *  4. record every applied change with its result in one insert. If a concurrent push of the
 *     same change committed first, that insert finds its id taken: the whole transaction
 *     rolls back and the batch is judged again, when those ids are DUPLICATEs.
 * Rejected changes are not recorded, so a retry is judged afresh.
 */
export async function applyPush(
  db: CentralDb,
  policy: SyncPolicy,
  terminal: AuthedTerminal,
  changes: PushChange[],
): Promise<PushResult[]> {
  const results = new Map<string, PushResult>();
  const prepared: PreparedChange[] = [];
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.changeId)) {
      results.set(c.changeId, {
        changeId: c.changeId,
        status: "REJECTED",
        reason: "changeId appears twice in one batch",
        retryable: false,
      });
      continue;
    }
    seen.add(c.changeId);
    const p = prepareChange(policy, terminal, c);
    if (p.ok) prepared.push(p.value);
    else results.set(c.changeId, p.result);
  }

  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await applyOnce(db, policy, terminal, prepared);
      for (const [id, r] of applied) results.set(id, r);
      break;
    } catch (err) {
      if (!(err instanceof ConcurrentDuplicate) || attempt >= 3) throw err;
    }
  }
  return changes.map((c) => results.get(c.changeId)!);
}

/** Another transaction recorded one of this batch's change ids first. */
class ConcurrentDuplicate extends Error {}

async function applyOnce(
  db: CentralDb,
  policy: SyncPolicy,
  terminal: AuthedTerminal,
  prepared: PreparedChange[],
): Promise<Map<string, PushResult>> {
  const results = new Map<string, PushResult>();
  const client = await db.pool.connect();
  try {
    await client.query("BEGIN");
    const fresh = await lookUpDuplicates(client, terminal.id, prepared, results);
    const applier = new BatchApplier(client, policy, terminal);
    const first = await applier.apply(fresh);
    await record(client, terminal.id, fresh, first);
    await client.query(`UPDATE terminals SET last_sync_at = now(), last_seen_at = now() WHERE id = $1`, [terminal.id]);
    await client.query("COMMIT");
    for (const [id, r] of first) results.set(id, r);
    return results;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Splits off changes central has applied before; they answer DUPLICATE with their first result. */
async function lookUpDuplicates(
  client: PoolClient,
  terminalId: string,
  prepared: PreparedChange[],
  results: Map<string, PushResult>,
): Promise<PreparedChange[]> {
  if (prepared.length === 0) return [];
  const { rows } = await client.query<{ change_id: string; terminal_id: string; result: FirstResult }>(
    `SELECT change_id, terminal_id, result FROM applied_changes WHERE change_id = ANY($1::uuid[])`,
    [prepared.map((p) => p.change.changeId)],
  );
  for (const d of rows) {
    const changeId = d.change_id as PushResult["changeId"];
    results.set(
      d.change_id,
      d.terminal_id !== terminalId
        ? { changeId, status: "REJECTED", reason: "changeId was already used by another terminal", retryable: false }
        : { changeId, status: "DUPLICATE", original: d.result },
    );
  }
  return prepared.filter((p) => !results.has(p.change.changeId));
}

async function record(
  client: PoolClient,
  terminalId: string,
  fresh: PreparedChange[],
  first: Map<string, FirstResult>,
): Promise<void> {
  const kept = fresh.filter((p) => first.get(p.change.changeId)?.status !== "REJECTED");
  if (kept.length === 0) return;
  // ON CONFLICT waits for a concurrent transaction holding the same id and sees its commit.
  const { rowCount } = await client.query(
    `INSERT INTO applied_changes (change_id, terminal_id, entity_type, entity_id, result)
     SELECT u.id, $2::uuid, u.entity_type, u.entity_id, u.result
       FROM unnest($1::uuid[], $3::text[], $4::uuid[], $5::jsonb[]) AS u(id, entity_type, entity_id, result)
     ON CONFLICT (change_id) DO NOTHING`,
    [
      kept.map((p) => p.change.changeId),
      terminalId,
      kept.map((p) => p.change.entityType),
      kept.map((p) => p.change.entityId),
      kept.map((p) => JSON.stringify(first.get(p.change.changeId))),
    ],
  );
  if ((rowCount ?? 0) < kept.length) throw new ConcurrentDuplicate();
}

interface ConflictRow {
  id: string;
  change: PushChange;
  outcome: ConflictOutcome;
  baseVersion: number | null;
  centralVersion: number | null;
  terminalData: unknown;
  centralData: Row | null;
}

/** Applies new changes table by table; collects per-change results and conflicts. */
class BatchApplier {
  private readonly results = new Map<string, FirstResult>();
  private readonly conflicts: ConflictRow[] = [];
  /** Versions this terminal's changes produced in this batch, per row. */
  private readonly produced = new Map<string, number>();
  private savepoint = 0;

  constructor(
    private readonly client: PoolClient,
    private readonly policy: SyncPolicy,
    private readonly terminal: AuthedTerminal,
  ) {}

  async apply(changes: PreparedChange[]): Promise<Map<string, FirstResult>> {
    for (const table of parentFirstOrder(this.policy)) {
      const forTable = changes.filter((c) => c.policy.table === table);
      // Several changes to one row in a batch are applied in order, one round each.
      for (const round of rounds(forTable)) await this.applyRound(this.policy[table], round);
    }
    await this.logConflicts();
    return this.results;
  }

  private async applyRound(policy: TablePolicy, round: PreparedChange[]): Promise<void> {
    let live = round;
    if (policy.parent) live = await this.requireParents(policy, live);
    try {
      await this.inSavepoint(() => this.writeRound(policy, live));
    } catch (err) {
      if (!isRowLevelError(err) || live.length === 1) {
        if (!isRowLevelError(err)) throw err;
        this.rejectChange(live[0]!, `central could not store the row: ${(err as Error).message}`);
        return;
      }
      // Find the poisoned row(s) one at a time so the rest of the batch still lands.
      for (const one of live) {
        try {
          await this.inSavepoint(() => this.writeRound(policy, [one]));
        } catch (e) {
          if (!isRowLevelError(e)) throw e;
          this.rejectChange(one, `central could not store the row: ${(e as Error).message}`);
        }
      }
    }
  }

  private async requireParents(policy: TablePolicy, round: PreparedChange[]): Promise<PreparedChange[]> {
    const fk = policy.parent!.foreignKey;
    const wanted = round.filter((c) => c.row).map((c) => String(c.row![fk]));
    const present = await existingIds(this.client, policy.parent!.table, [...new Set(wanted)]);
    return round.filter((c) => {
      if (!c.row || present.has(String(c.row[fk]))) return true;
      this.rejectChange(
        c,
        `parent ${policy.parent!.table} ${String(c.row[fk])} has not reached central yet; push it first`,
        true,
      );
      return false;
    });
  }

  private async writeRound(policy: TablePolicy, round: PreparedChange[]): Promise<void> {
    // Append-only rows are never changed once there: the insert itself skips ids it has.
    const current = policy.appendOnly
      ? new Map<string, Row>()
      : await lockRows(
          this.client,
          policy.table,
          round.map((c) => c.change.entityId),
        );
    const own = await this.ownVersions(round, current);
    const upserts: Row[] = [];
    const deletes: string[] = [];
    const pending: Array<{ c: PreparedChange; kind: string; conflict?: ConflictOutcome; merged?: Row }> = [];
    for (const c of round) {
      const cur = current.get(c.change.entityId);
      const d = decide({
        policy,
        operation: c.change.operation,
        row: c.row,
        baseRow: c.baseRow,
        // A terminal never conflicts with itself: if central's version is one this terminal's
        // own earlier change produced, this change was made on top of it.
        baseVersion:
          cur && own.has(`${c.change.entityId}:${Number(cur.version)}`) ? Number(cur.version) : c.change.baseVersion,
        current: cur,
      });
      if (d.kind === "insert" || d.kind === "update") upserts.push({ id: c.change.entityId, ...d.row });
      if (d.kind === "delete") deletes.push(c.change.entityId);
      pending.push({ c, kind: d.kind, conflict: d.conflict });
    }
    const versions = policy.appendOnly
      ? await appendAdjustments(this.client, policy, upserts)
      : await upsertRows(this.client, policy, upserts);
    await deleteRows(this.client, policy.table, deletes);

    const after = pending.some((p) => p.conflict)
      ? await lockRows(
          this.client,
          policy.table,
          pending.filter((p) => p.conflict).map((p) => p.c.change.entityId),
        )
      : new Map<string, Row>();
    for (const { c, kind, conflict } of pending) {
      const id = c.change.entityId;
      const cur = current.get(id);
      const version =
        versions.get(id) ?? (kind === "delete" ? Number(cur?.version ?? 0) + 1 : Number(cur?.version ?? 0));
      if (kind === "insert" || kind === "update") this.produced.set(id, version);
      if (!conflict) {
        this.results.set(c.change.changeId, { changeId: c.change.changeId, status: "APPLIED", version });
        continue;
      }
      const conflictId = randomUUID();
      const centralData = after.get(id) ?? null;
      this.conflicts.push({
        id: conflictId,
        change: c.change,
        outcome: conflict,
        baseVersion: c.change.baseVersion,
        centralVersion: cur ? Number(cur.version) : null,
        terminalData: c.change.data,
        centralData: cur ?? null,
      });
      this.results.set(c.change.changeId, {
        changeId: c.change.changeId,
        status: "CONFLICT",
        conflictId: conflictId as ConflictId,
        strategy: conflict.strategy,
        resolution: conflict.resolution,
        version: centralData ? Number(centralData.version) : version,
        centralData: centralData ? JSON.parse(JSON.stringify(centralData)) : null,
      });
    }
  }

  /**
   * `id:version` pairs of rows whose current version came from this terminal: from this
   * batch, or recorded in applied_changes (an earlier push whose answer may have been lost).
   * Only asked about rows that would otherwise conflict, so the common path costs nothing.
   */
  private async ownVersions(round: PreparedChange[], current: Map<string, Row>): Promise<Set<string>> {
    const own = new Set<string>();
    const suspects: string[] = [];
    for (const c of round) {
      const cur = current.get(c.change.entityId);
      if (!cur || c.change.baseVersion === null || c.change.baseVersion === Number(cur.version)) continue;
      if (this.produced.get(c.change.entityId) === Number(cur.version))
        own.add(`${c.change.entityId}:${Number(cur.version)}`);
      else suspects.push(c.change.entityId);
    }
    if (suspects.length > 0) {
      const { rows } = await this.client.query<{ entity_id: string; version: number }>(
        `SELECT entity_id, (result->>'version')::int AS version FROM applied_changes
          WHERE terminal_id = $1 AND entity_id = ANY($2::uuid[])
            AND (result->>'status' = 'APPLIED' OR result->>'resolution' IN ('TERMINAL_APPLIED', 'MERGED'))`,
        [this.terminal.id, suspects],
      );
      for (const r of rows) own.add(`${r.entity_id}:${r.version}`);
    }
    return own;
  }

  private rejectChange(c: PreparedChange, reason: string, retryable = false): void {
    this.results.set(c.change.changeId, { changeId: c.change.changeId, status: "REJECTED", reason, retryable });
  }

  private async inSavepoint(fn: () => Promise<void>): Promise<void> {
    const name = `sp_${++this.savepoint}`;
    await this.client.query(`SAVEPOINT ${name}`);
    try {
      await fn();
      await this.client.query(`RELEASE SAVEPOINT ${name}`);
    } catch (err) {
      await this.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    }
  }

  /** Every conflict is logged with both sides, the base, the strategy and the outcome. */
  private async logConflicts(): Promise<void> {
    if (this.conflicts.length === 0) return;
    const cs = this.conflicts;
    await this.client.query(
      `INSERT INTO conflicts (id, terminal_id, change_id, entity_type, entity_id, strategy, status,
                              base_version, central_version, terminal_data, central_data, resolution, resolved_at)
       SELECT u.id, $2::uuid, u.change_id, u.entity_type, u.entity_id, u.strategy, u.status,
              u.base_version, u.central_version, u.terminal_data, u.central_data, u.resolution,
              CASE WHEN u.status = 'PENDING' THEN NULL ELSE now() END
         FROM unnest($1::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                     $8::int4[], $9::int4[], $10::jsonb[], $11::jsonb[], $12::text[])
           AS u(id, change_id, entity_type, entity_id, strategy, status, base_version, central_version,
                terminal_data, central_data, resolution)`,
      [
        cs.map((c) => c.id),
        this.terminal.id,
        cs.map((c) => c.change.changeId),
        cs.map((c) => c.change.entityType),
        cs.map((c) => c.change.entityId),
        cs.map((c) => c.outcome.strategy),
        cs.map((c) => (c.outcome.resolution === "PENDING" ? "PENDING" : "RESOLVED")),
        cs.map((c) => c.baseVersion),
        cs.map((c) => c.centralVersion),
        cs.map((c) => JSON.stringify(c.terminalData)),
        cs.map((c) => (c.centralData ? JSON.stringify(c.centralData) : null)),
        cs.map((c) => (c.outcome.resolution === "PENDING" ? null : c.outcome.resolution)),
      ],
    );
  }
}

/** Splits changes so each round touches a row at most once, keeping their order. */
function rounds(changes: PreparedChange[]): PreparedChange[][] {
  const out: PreparedChange[][] = [];
  const count = new Map<string, number>();
  for (const c of changes) {
    const n = count.get(c.change.entityId) ?? 0;
    count.set(c.change.entityId, n + 1);
    (out[n] ??= []).push(c);
  }
  return out;
}
