import {
  describeZodError,
  parseRow,
  ProtocolMismatchError,
  type FeedCursor,
  type OwnOrdersPage,
  type PullResponse,
  type PushChange,
  type PushResult,
  type SyncPolicy,
  type TablePolicy,
} from "@tillsync/shared";

/**
 * The agent distrusts central as central distrusts it: an answer that cannot be true is a
 * protocol error (ProtocolMismatchError), thrown before anything is marked SYNCED or stored
 * on its word. The engine then fails the cycle with this one line and backs off.
 */

function lie(what: string): ProtocolMismatchError {
  return new ProtocolMismatchError(
    `central broke the protocol: ${what}; nothing was stored or marked synced on its word (check central's version and logs)`,
  );
}

/** A row central sends must pass the table's row schema and be the row it says it is. */
function checkRow(p: TablePolicy, id: string, data: Record<string, unknown>, where: string): void {
  const input = { id, ...data };
  // The shared fast path first (parseRow): a row of every page, for each of a thousand tills.
  const r = parseRow(p, input);
  if (!r.success) throw lie(`${where}: ${p.table} ${id} is not a valid row (${describeZodError(r.error)})`);
  const row = r.data;
  if (String(row.id) !== id.toLowerCase()) throw lie(`${where}: row ${String(row.id)} is sent as ${p.table} ${id}`);
}

/** One answer per change sent, for exactly those change ids; rows in conflicts valid. */
export function checkPushAnswer(policy: SyncPolicy, changes: PushChange[], results: PushResult[]): void {
  if (results.length !== changes.length)
    throw lie(`it answered ${results.length} result(s) to a push of ${changes.length} change(s)`);
  const sent = new Map(changes.map((c) => [c.changeId.toLowerCase(), c]));
  const answered = new Set<string>();
  for (const r of results) {
    const id = r.changeId.toLowerCase();
    const c = sent.get(id);
    if (!c) throw lie(`it answered change ${r.changeId}, which this push did not send`);
    if (answered.has(id)) throw lie(`it answered change ${r.changeId} twice`);
    answered.add(id);
    const first = r.status === "DUPLICATE" ? r.original : r;
    if (first.status === "CONFLICT" && first.centralData)
      checkRow(policy[c.entityType], c.entityId, first.centralData, `its answer to change ${r.changeId}`);
  }
}

/**
 * A page of the feed: only tables central sends, valid rows, and a cursor that never moves
 * back and moves forward whenever there is more (a stuck cursor would be followed forever).
 */
export function checkPullPage(policy: SyncPolicy, since: FeedCursor, page: PullResponse): void {
  const from = BigInt(since);
  const next = BigInt(page.nextCursor);
  if (next < from) throw lie(`its pull after cursor ${since} answered the earlier cursor ${page.nextCursor}`);
  if (page.hasMore && next === from)
    throw lie(`its pull after cursor ${since} says there is more but its cursor does not advance`);
  for (const c of page.changes) {
    const p = policy[c.entityType];
    if (!p || p.direction === "TERMINAL_TO_CENTRAL")
      throw lie(`its pull sent ${c.entityType} rows, which central never sends to terminals`);
    if (c.operation === "UPSERT") {
      if (!c.data) throw lie(`its pull sent an UPSERT of ${c.entityType} ${c.entityId} without the row`);
      checkRow(p, c.entityId, c.data, "its pull");
    }
  }
}

/** This terminal's own orders: valid rows, every order its own, every line and payment under one of them. */
export function checkOwnOrdersPage(policy: SyncPolicy, terminalId: string, page: OwnOrdersPage): void {
  const orders = new Set<string>();
  for (const o of page.orders) {
    checkRow(policy.sale_orders, String(o.id), o, "its own orders");
    if (String(o.terminal_id).toLowerCase() !== terminalId.toLowerCase())
      throw lie(
        `its own orders of terminal ${terminalId} include order ${String(o.id)} of terminal ${String(o.terminal_id)}`,
      );
    orders.add(String(o.id).toLowerCase());
  }
  for (const [table, rows] of [
    [policy.sale_order_lines, page.lines],
    [policy.payments, page.payments],
  ] as const)
    for (const r of rows) {
      checkRow(table, String(r.id), r, "its own orders");
      if (!orders.has(String(r.order_id).toLowerCase()))
        throw lie(`its own orders sent ${table.table} ${String(r.id)} of an order it did not send`);
    }
}
