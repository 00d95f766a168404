import type { SyncPolicy, TablePolicy } from "@tillsync/shared";

/**
 * The policy's own tables, parents before children, in the order the policy declares them.
 * Central walks the policy it was given, not a list of table names, so a table a policy adds
 * (a test's fictitious ledger) is pushed and pulled like the others. (Shared parentFirstOrder
 * walks SYNC_TABLES, which such a table is not in.) Throws when a child precedes its parent:
 * writing it first would break causality (G5).
 */
export function tablesParentFirst(policy: SyncPolicy): TablePolicy[] {
  const seen = new Set<string>();
  const out: TablePolicy[] = [];
  for (const p of Object.values(policy)) {
    if (p.parent && !seen.has(p.parent.table))
      throw new Error(`sync policy: ${p.table} is listed before its parent ${p.parent.table}`);
    seen.add(p.table);
    out.push(p);
  }
  return out;
}
