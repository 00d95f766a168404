import {
  CursorExpiredError,
  DEFAULT_SYNC_POLICY,
  FeedResetError,
  type FeedCursor,
  type PullChange,
  type PullResponse,
  type SyncPolicy,
  type SyncTable,
} from "@tillsync/shared";
import type { ChangeFeedStore } from "../store/change-feed";
import type { FeedPageCache } from "./feed-page-cache";
import type { FeedIdentity, FeedIdentityStore } from "../store/feed-identity";
import type { Row, SyncedTables } from "../store/synced-tables";
import { tablesParentFirst } from "../sync/policy-tables";

/** What a pull reads: the feed, and the rows it names. */
export interface PullStore {
  feed: Pick<ChangeFeedStore, "sequence" | "readPage" | "top">;
  tables: Pick<SyncedTables, "readRows">;
  feedIdentity: Pick<FeedIdentityStore, "current">;
}

export interface PullOptions {
  storeId: string;
  since: FeedCursor;
  limit: number;
  entityType?: SyncTable;
  policy?: SyncPolicy;
  /** The epoch the terminal's cursor came from, when it sent one. */
  epoch?: string;
  /** Told when this pull found the database restored or copied and gave the feed a new epoch. */
  onNewEpoch?: (epoch: string, reason: string) => void;
  /**
   * What the pull's first statement already read (store/pull-start.ts): the identity when its
   * fingerprint still matched (null: ask FeedIdentityStore.current, which rotates the epoch), and
   * whether the sequencer has work. Without it both are read here.
   */
  start?: { identity: FeedIdentity | null; unsequenced: boolean; head?: string };
  /** Pages answered once for many terminals while the feed has not moved (feed-page-cache.ts). */
  cache?: FeedPageCache;
}

/**
 * One page of the change feed for a terminal: entries after `since` in its scope (rows of
 * every store for ALL-scoped tables, its own store's rows for STORE-scoped ones), each
 * carrying the row as central holds it now. Several feed entries for one row collapse into
 * one change; a row that no longer exists is a DELETE.
 */
export async function readFeed(store: PullStore, opts: PullOptions): Promise<PullResponse> {
  const policy = opts.policy ?? DEFAULT_SYNC_POLICY;
  const identity = opts.start?.identity ?? (await store.feedIdentity.current());
  if (identity.rotated) opts.onNewEpoch?.(identity.epoch, identity.rotated);
  if (opts.epoch !== undefined && opts.epoch !== identity.epoch) throw epochChanged(opts.since, opts.epoch, identity);
  checkNotExpired(opts.since, identity);
  const read = () => readPage(store, opts, policy, identity);
  // Unnumbered rows: this pull numbers them, and its page is the first to show them.
  const head = opts.start?.unsequenced === false ? opts.start.head : undefined;
  if (!opts.cache || head === undefined) return read();
  const { storeId, since, limit, entityType } = opts;
  return opts.cache.page(policy, { storeId, since, limit, entityType, epoch: identity.epoch, head }, read);
}

/** The page itself, after the checks every pull makes. */
async function readPage(
  store: PullStore,
  opts: PullOptions,
  policy: SyncPolicy,
  identity: FeedIdentity,
): Promise<PullResponse> {
  // Number what has committed since the last run, so this page can include it (G2).
  if (opts.start?.unsequenced !== false && (await store.feed.sequence()) > 0) opts.cache?.invalidate();
  const feed = await store.feed.readPage(opts);
  // An empty page is where a cursor from a lost future shows: it is beyond every position.
  if (feed.length === 0) await checkNotAhead(store, opts.since, identity);
  const nextCursor = (feed.length > 0 ? feed[feed.length - 1]!.position : opts.since) as FeedCursor;

  const byTable = new Map<SyncTable, Set<string>>();
  for (const f of feed) {
    let s = byTable.get(f.entityType);
    if (!s) byTable.set(f.entityType, (s = new Set()));
    s.add(f.entityId);
  }
  const changes: PullChange[] = [];
  // Parents before children, so a terminal applying in order never sees a dangling reference.
  for (const p of tablesParentFirst(policy)) {
    const ids = byTable.get(p.table);
    if (!ids) continue;
    const found = await store.tables.readRows(p, [...ids]);
    for (const id of ids) {
      const row = found.get(id);
      changes.push(
        row
          ? { entityType: p.table, entityId: id, operation: "UPSERT", data: toWire(row), version: Number(row.version) }
          : { entityType: p.table, entityId: id, operation: "DELETE", data: null, version: null },
      );
    }
  }
  return { changes, nextCursor, hasMore: feed.length === opts.limit, epoch: identity.epoch };
}

/** A cursor (other than the start) below what compaction expired has missed deletions: 410. */
function checkNotExpired(since: FeedCursor, identity: FeedIdentity): void {
  if (since === "0" || BigInt(since) >= BigInt(identity.expiredBelow)) return;
  throw new CursorExpiredError(
    `cursor ${since} is older than the compacted feed (it starts at ${identity.expiredBelow}): re-download from cursor 0, keeping unpushed local changes`,
    { epoch: identity.epoch, reason: "COMPACTED" },
  );
}

/**
 * A cursor beyond the feed's head came from changes this database no longer has (restored
 * from an older backup): 409, so the terminal re-sends what central may have lost. Only this
 * terminal is told; its claim alone does not change the epoch of every other terminal.
 */
async function checkNotAhead(store: PullStore, since: FeedCursor, identity: FeedIdentity): Promise<void> {
  const head = await store.feed.top();
  if (BigInt(since) > BigInt(head)) throw aheadOfFeed(since, head, identity);
}

/** 409: the cursor's epoch is not the feed's. Also what an acknowledge of it is answered. */
export function epochChanged(since: string, epoch: string, identity: FeedIdentity): FeedResetError {
  return new FeedResetError(
    `cursor ${since} is from feed epoch ${epoch}, and central's feed is now epoch ${identity.epoch} (central was restored from a backup or re-initialised): re-send the changes still held, re-download, and pull again from 0`,
    { epoch: identity.epoch, reason: "EPOCH_CHANGED" },
  );
}

/** 409: the cursor is beyond the feed's head. Also what an acknowledge of it is answered. */
export function aheadOfFeed(since: string, head: string, identity: FeedIdentity): FeedResetError {
  return new FeedResetError(
    `cursor ${since} is ahead of central's feed, whose head is ${head} (central was restored from an older backup): re-send the changes still held, re-download, and pull again from 0`,
    { epoch: identity.epoch, reason: "AHEAD_OF_FEED" },
  );
}

/**
 * Why an acknowledge was not recorded (TerminalQueries.acknowledge refused it): its epoch is not
 * the feed's, or its cursor is beyond the head. Read after the refusal, so the answer names the
 * feed as it stands now.
 */
export async function refusedAcknowledge(
  store: Pick<PullStore, "feed" | "feedIdentity">,
  cursor: string,
  epoch: string | undefined,
): Promise<FeedResetError> {
  const identity = await store.feedIdentity.current();
  if (epoch !== undefined && epoch !== identity.epoch) return epochChanged(cursor, epoch, identity);
  return aheadOfFeed(cursor, await store.feed.top(), identity);
}

function toWire(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}
