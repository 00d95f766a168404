import type { FirstResult, OwnerRule, TablePolicy } from "@tillsync/shared";
import type { Row } from "../store/synced-tables";
import type { TerminalIdentity } from "../store/terminals";
import type { PreparedChange } from "./push-prepare";
import { rejected } from "./push-round";

/**
 * Row ownership at push (G8), pure: decided from the rows central already holds (read and
 * locked in the push's transaction), never from the pushed row alone. The policy's OwnerRule
 * says which columns name a row's terminal and store, or that a row belongs to whoever owns
 * its parent. A change to a row of another terminal or store is refused: REJECTED, not
 * retryable, nothing written or recorded, and reported (logged and counted) by the caller.
 */

/** Why a change was refused (the `reason` label of the refusal counter). */
export type RefusalRule = "foreign_row" | "foreign_parent" | "owner_changed" | "orphan";

/** A refused change, for the warning log and the metric. */
export interface Refusal {
  rule: RefusalRule;
  changeId: string;
  table: string;
  entityId: string;
  /** The pushing terminal. */
  terminalId: string;
  /** Who owns the row (or its parent) at central: null when central itself wrote it. */
  ownerTerminalId: string | null;
  ownerStoreId: string | null;
}

export interface OwnershipVerdict {
  live: PreparedChange[];
  rejected: FirstResult[];
  refusals: Refusal[];
}

/** What one round's ownership check reads: central's rows of the round, and their parents. */
export interface OwnershipInput {
  policy: TablePolicy;
  terminal: TerminalIdentity;
  round: PreparedChange[];
  /** Central's current rows of the round (locked). */
  current: ReadonlyMap<string, Row>;
  /** For a table owned via its parent: the parent table's policy and the parent rows (locked). */
  parents?: { policy: TablePolicy; rows: ReadonlyMap<string, Row> };
}

const str = (v: unknown): string | null => (v == null ? null : String(v));

/** Whose row it is by an owner rule's columns; undefined when it is this terminal's. */
function foreignOwner(
  o: OwnerRule,
  row: Row,
  t: TerminalIdentity,
): { terminal: string | null; store: string | null } | undefined {
  const terminal = o.terminal ? str(row[o.terminal]) : null;
  const store = o.store ? str(row[o.store]) : null;
  if ((o.terminal && terminal !== t.id) || (o.store && store !== t.storeId)) return { terminal, store };
  return undefined;
}

/** Whose it is, in words: a terminal (of its store), a store, or central when no terminal wrote it. */
function describeOwner(owner: { terminal: string | null; store: string | null }, o: OwnerRule): string {
  if (owner.terminal) return `terminal ${owner.terminal}${owner.store ? ` of store ${owner.store}` : ""}`;
  if (o.terminal || !owner.store) return `central (no terminal wrote it${owner.store ? `; store ${owner.store}` : ""})`;
  return `store ${owner.store}`;
}

/** The parent ids a round's ownership check must read: those its new rows and central's rows name. */
export function parentIdsToRead(policy: TablePolicy, round: PreparedChange[], current: ReadonlyMap<string, Row>) {
  const fk = policy.parent!.foreignKey;
  const ids = new Set<string>();
  for (const c of round) {
    if (c.row?.[fk] != null) ids.add(String(c.row[fk]));
    const stored = current.get(c.change.entityId)?.[fk];
    if (stored != null) ids.add(String(stored));
  }
  return [...ids];
}

/** Splits a round into the changes this terminal may make and the ones it may not. */
export function judgeOwnership(input: OwnershipInput): OwnershipVerdict {
  const out: OwnershipVerdict = { live: [], rejected: [], refusals: [] };
  const o = input.policy.owner;
  for (const c of input.round) {
    const verdict = o ? judgeOne(input, o, c) : undefined;
    if (!verdict) out.live.push(c);
    else {
      out.rejected.push(verdict.result);
      if (verdict.refusal) out.refusals.push(verdict.refusal);
    }
  }
  return out;
}

type One = { result: FirstResult; refusal?: Refusal } | undefined;

function judgeOne(input: OwnershipInput, o: OwnerRule, c: PreparedChange): One {
  const { policy, terminal, current } = input;
  const { changeId, entityId, operation } = c.change;
  const refuse = (rule: RefusalRule, owner: { terminal: string | null; store: string | null }, reason: string) => ({
    result: rejected(c, reason),
    refusal: {
      rule,
      changeId,
      table: policy.table,
      entityId,
      terminalId: terminal.id,
      ownerTerminalId: owner.terminal,
      ownerStoreId: owner.store,
    },
  });
  const stored = current.get(entityId);
  if (stored) {
    const owner = foreignOwner(o, stored, terminal);
    if (owner)
      return refuse(
        "foreign_row",
        owner,
        `${policy.table} ${entityId} belongs to ${describeOwner(owner, o)}; terminal ${terminal.id} may not ${operation} it`,
      );
    for (const col of [o.terminal, o.store])
      if (col && c.row && c.row[col] !== undefined && str(c.row[col]) !== str(stored[col]))
        return refuse(
          "owner_changed",
          { terminal: o.terminal ? str(stored[o.terminal]) : null, store: o.store ? str(stored[o.store]) : null },
          `${policy.table}.${col} of ${entityId} is ${String(stored[col])} and can never be changed by a push`,
        );
  }
  return o.viaParent ? judgeParents(input, c, stored, refuse) : undefined;
}

/** A child may only be written under a parent this terminal owns, before and after the change. */
function judgeParents(
  input: OwnershipInput,
  c: PreparedChange,
  stored: Row | undefined,
  refuse: (rule: RefusalRule, owner: { terminal: string | null; store: string | null }, reason: string) => One,
): One {
  const { policy, terminal } = input;
  const parent = policy.parent!;
  const parents = input.parents!;
  const po = parents.policy.owner!;
  const checks: Array<{ id: unknown; stored: boolean }> = [];
  if (stored) checks.push({ id: stored[parent.foreignKey], stored: true });
  if (c.row) checks.push({ id: c.row[parent.foreignKey], stored: false });
  for (const check of checks) {
    const id = String(check.id);
    const row = parents.rows.get(id);
    if (!row && !check.stored)
      // Not an ownership question yet: the parent may still come (G5). Retried, not recorded.
      return { result: rejected(c, `parent ${parent.table} ${id} has not reached central yet; push it first`, true) };
    if (!row)
      return refuse(
        "orphan",
        { terminal: null, store: null },
        `${policy.table} ${c.change.entityId} is under ${parent.table} ${id}, which central no longer holds; no terminal owns it`,
      );
    const owner = foreignOwner(po, row, terminal);
    if (owner)
      return refuse(
        "foreign_parent",
        owner,
        `${policy.table} ${c.change.entityId} is under ${parent.table} ${id}, which belongs to ${describeOwner(owner, po)}; terminal ${terminal.id} may not write under it`,
      );
  }
  return undefined;
}
