import { OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION } from "./protocol/protocol-version";
import type { SyncPolicy, SyncTable, TablePolicy } from "./sync-policy";

/**
 * The row shape of each protocol version, as what every version added to the policy's
 * columns. Central serves an agent of an older protocol through `policyForProtocol`: a push
 * writes only the columns that agent knows (the others keep their defaults on insert and
 * their values on update), a pull reads and sends only those, and a pushed column the agent's
 * protocol does not have is refused by name (`unknownColumns`). An added column must be
 * `optional` in the policy, so a row without it is valid.
 */
export const COLUMNS_ADDED_IN: Readonly<Record<number, Partial<Record<SyncTable, readonly string[]>>>> = {
  2: { products: ["barcode"] },
};

const cache = new WeakMap<SyncPolicy, Map<number, SyncPolicy>>();

/**
 * The policy as an agent of protocol `version` knows it: the columns added after it removed.
 * The same object comes back for the same policy and version (central caches row schemas and
 * SQL per table policy), and the current protocol gets `policy` itself.
 */
export function policyForProtocol(policy: SyncPolicy, version: number): SyncPolicy {
  if (version >= PROTOCOL_VERSION) return policy;
  if (version < OLDEST_PROTOCOL_VERSION)
    throw new Error(`protocol ${version} is older than the oldest served (${OLDEST_PROTOCOL_VERSION})`);
  let byVersion = cache.get(policy);
  if (!byVersion) cache.set(policy, (byVersion = new Map()));
  let out = byVersion.get(version);
  if (!out) byVersion.set(version, (out = withoutLaterColumns(policy, version)));
  return out;
}

function withoutLaterColumns(policy: SyncPolicy, version: number): SyncPolicy {
  const later = new Map<string, Set<string>>();
  for (let v = version + 1; v <= PROTOCOL_VERSION; v++)
    for (const [table, cols] of Object.entries(COLUMNS_ADDED_IN[v] ?? {}))
      for (const c of cols) (later.get(table) ?? later.set(table, new Set()).get(table)!).add(c);
  const out = {} as Record<SyncTable, TablePolicy>;
  for (const [table, p] of Object.entries(policy) as Array<[SyncTable, TablePolicy]>) {
    const drop = later.get(table);
    out[table] = drop ? { ...p, columns: p.columns.filter((c) => !drop.has(c.name)) } : p;
  }
  return out;
}

/**
 * The keys of a pushed row that are not columns of the table in `p` (sorted). The agent's
 * capture sends exactly its policy's columns, so any other key means the agent speaks another
 * row shape than the protocol it named: refused by name instead of silently dropped.
 */
export function unknownColumns(p: Pick<TablePolicy, "columns">, row: Record<string, unknown>): string[] {
  const known = new Set(p.columns.map((c) => c.name));
  return Object.keys(row)
    .filter((k) => !known.has(k))
    .sort();
}

/** Only the keys of `row` that are columns of the table in `p`: a row of central's, as an older protocol sends it. */
export function rowForProtocol<R extends Record<string, unknown>>(p: Pick<TablePolicy, "columns">, row: R): Partial<R> {
  const out: Partial<R> = {};
  for (const c of p.columns) if (c.name in row) out[c.name as keyof R] = row[c.name as keyof R];
  return out;
}
