import type { PullResponse, SyncPolicy } from "@tillsync/shared";

/** What a page is cached under, apart from the policy (its object identity). */
export interface FeedPageKey {
  storeId: string;
  since: string;
  limit: number;
  entityType?: string;
  epoch: string;
  /** The feed's highest numbered position when the pull began (store/pull-start.ts). */
  head: string;
}

interface Entry {
  generation: number;
  /** When its read began: the page is at least this old. */
  at: number;
  page: Promise<PullResponse>;
}

/**
 * A feed page answered once for every terminal that asks for it while the feed has not moved.
 * After a price change a thousand tills of one scope pull the same page from the same cursor
 * within a second or two; each made the page query and the rows' read, the same two statements
 * with the same answer, and that was most of what PostgreSQL and central did in the round.
 *
 * A page is served again only to a pull whose first statement (store/pull-start.ts, read afresh
 * by every pull) found the feed's head where it was when the page was read, and no unnumbered
 * rows (such a pull does not use the cache at all: it numbers them, read-feed.ts). A change to a
 * row commits its feed entry with it, unnumbered until the sequencer gives it a position above
 * the head, so a page served this way is the page that pull would have read. Nothing here relies
 * on a notification arriving in time, whichever instance numbered what. `invalidate` (the feed's
 * commit notification, a DATA_CHANGED round, a pull's own numbering) only lets the memory of
 * pages that can no longer be served go early, and `ttlMs` bounds how long any page is kept.
 * The hold, epoch and expiry checks are never cached: each pull reads them.
 *
 * Concurrent pulls of one page share its read. A read that fails is forgotten at once.
 */
export class FeedPageCache {
  private generation = 0;
  private byPolicy = new WeakMap<SyncPolicy, Map<string, Entry>>();
  private readonly now: () => number;

  constructor(private readonly opts: { ttlMs: number; maxEntries?: number; now?: () => number }) {
    // Date.now looked up at each call, not kept: a clock a test sets for the process applies here too.
    this.now = opts.now ?? (() => Date.now());
  }

  /** The feed may have new entries: no page read before now is served again. */
  invalidate(): void {
    this.generation++;
    this.byPolicy = new WeakMap();
  }

  /** The page under `key`, read by `read` unless a current one is held. */
  page(policy: SyncPolicy, key: FeedPageKey, read: () => Promise<PullResponse>): Promise<PullResponse> {
    if (this.opts.ttlMs <= 0) return read();
    let pages = this.byPolicy.get(policy);
    if (!pages) this.byPolicy.set(policy, (pages = new Map()));
    const k = `${key.storeId}|${key.since}|${key.limit}|${key.entityType ?? ""}|${key.epoch}|${key.head}`;
    const now = this.now();
    const held = pages.get(k);
    if (held && held.generation === this.generation && now - held.at < this.opts.ttlMs) return held.page;
    // Many cursors at once (tills catching up from everywhere): start over rather than grow.
    if (pages.size >= (this.opts.maxEntries ?? 1_000)) pages.clear();
    const entry: Entry = { generation: this.generation, at: now, page: read() };
    pages.set(k, entry);
    const map = pages;
    entry.page.catch(() => {
      if (map.get(k) === entry) map.delete(k);
    });
    return entry.page;
  }
}
