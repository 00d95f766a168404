import type { FeedCursor, TillsyncError } from "@tillsync/shared";
import { SyncStateStore } from "../db/sync-state";
import type { SqliteDb } from "../db/terminal-db";
import { listPending, type PendingChange } from "../outbox/outbox-maintenance";
import type { CentralTransport } from "../transport/central-transport";

export interface DryRunReport {
  push: PendingChange[];
  /** Per table and operation: how many rows a pull would apply. */
  pull: Record<string, number>;
  pullTotal: number;
  /** Set when central could not be asked: what a pull would bring is unknown. */
  pullUnknown?: string;
}

/**
 * What one `sync` would move, changing nothing: the pending outbox is read, central's pages
 * are fetched but not applied, and neither the cursor nor central's acknowledged position
 * moves (pull is a read at central; only acknowledge records progress).
 */
export async function dryRun(db: SqliteDb, transport: CentralTransport, pageSize: number): Promise<DryRunReport> {
  const push = listPending(db);
  const pull: Record<string, number> = {};
  let pullTotal = 0;
  let cursor: FeedCursor = new SyncStateStore(db).cursor();
  for (;;) {
    let page;
    try {
      page = await transport.pull(cursor, pageSize);
    } catch (err) {
      // Offline is when a dry run matters most ("how much is waiting?"): the push list is local.
      if ((err as TillsyncError).retryable !== true) throw err;
      return { push, pull: {}, pullTotal: 0, pullUnknown: (err as Error).message };
    }
    for (const c of page.changes) {
      const key = `${c.entityType} ${c.operation}`;
      pull[key] = (pull[key] ?? 0) + 1;
    }
    pullTotal += page.changes.length;
    cursor = page.nextCursor;
    if (!page.hasMore) break;
  }
  return { push, pull, pullTotal };
}

const SHOWN = 50;

export function formatDryRun(r: DryRunReport): string {
  const lines = [`would push ${r.push.length} change(s):`];
  for (const c of r.push.slice(0, SHOWN)) {
    const later = c.next_attempt_at ? ` (retry ${c.attempts}, not before ${c.next_attempt_at})` : "";
    lines.push(
      `  ${c.entity_type.padEnd(22)} ${c.operation.padEnd(6)} ${c.entity_id}  priority ${c.sync_priority}${later}`,
    );
  }
  if (r.push.length > SHOWN) lines.push(`  … and ${r.push.length - SHOWN} more`);
  if (r.pullUnknown) {
    lines.push(`would pull: unknown, central is unreachable (${r.pullUnknown})`);
    lines.push("dry run: nothing was changed");
    return lines.join("\n");
  }
  lines.push(`would pull ${r.pullTotal} change(s):`);
  for (const [k, n] of Object.entries(r.pull)) lines.push(`  ${k.padEnd(29)} ${n}`);
  lines.push("dry run: nothing was changed");
  return lines.join("\n");
}
