import { Redis } from "ioredis";
import type { KeyHolder, TerminalAdmin, TerminalQueries } from "../store/terminals";

/** The channel (under the Redis prefix) that tells every instance a terminal's keys changed. */
const channelOf = (prefix: string): string => `${prefix}:auth:terminal-keys-changed`;

export interface KeyCacheOptions {
  /** How long a verified key is trusted without asking PostgreSQL again (never past its expiry). */
  ttlMs: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries: number;
}

/**
 * Verified terminal keys, kept briefly so a thousand tills' requests do not each cost a
 * PostgreSQL lookup. Only keys that worked are kept (a wrong key always reaches PostgreSQL and
 * the failed-attempt throttle), each never past the key's own expiry (a rotated-out key in its
 * grace period stops on time). Revocation, rotation and disabling drop a terminal's entries
 * here at once and, through Redis pub/sub, on every other instance. While the subscription is
 * down the cache is bypassed entirely: an invalidation it could miss cannot leave a revoked
 * key working. A lookup that overlapped an invalidation is not kept (it may have read the
 * row from before the change).
 */
export class TerminalKeyCache {
  private readonly entries = new Map<string, { holder: KeyHolder; until: number }>();
  /** Bumped by every invalidation; a lookup begun under an older one is not cached. */
  private epoch = 0;
  private subscribed = false;
  private readonly channel: string;

  private constructor(
    private readonly lookup: Pick<TerminalQueries, "findByKeyHash">,
    private readonly pub: Redis,
    private readonly sub: Redis,
    prefix: string,
    private readonly options: KeyCacheOptions,
  ) {
    this.channel = channelOf(prefix);
  }

  /** Subscribes (the cache stays bypassed until the subscription is confirmed, and after it drops). */
  static start(deps: {
    lookup: Pick<TerminalQueries, "findByKeyHash">;
    pub: Redis;
    redisUrl: string;
    prefix: string;
    options: KeyCacheOptions;
  }): TerminalKeyCache {
    // ioredis does not prefix channels: the channel's name carries the prefix.
    const sub = new Redis(deps.redisUrl, { maxRetriesPerRequest: null });
    const cache = new TerminalKeyCache(deps.lookup, deps.pub, sub, deps.prefix, deps.options);
    sub.on("error", () => undefined); // reconnects by itself; meanwhile the cache is bypassed
    sub.on("close", () => cache.stopListening());
    sub.on("ready", () => {
      sub.subscribe(cache.channel).then(
        () => (cache.subscribed = true),
        () => cache.stopListening(),
      );
    });
    sub.on("message", (_channel: string, terminalId: string) => cache.dropLocal(terminalId));
    return cache;
  }

  private stopListening(): void {
    this.subscribed = false;
    this.entries.clear();
    this.epoch++;
  }

  async find(hash: string): Promise<KeyHolder | undefined> {
    const now = Date.now();
    const hit = this.subscribed ? this.entries.get(hash) : undefined;
    if (hit && hit.until > now) return hit.holder;
    if (hit) this.entries.delete(hash);
    const epoch = this.epoch;
    const found = await this.lookup.findByKeyHash(hash);
    if (found && this.subscribed && epoch === this.epoch && this.options.ttlMs > 0) this.keep(hash, found, now);
    return found;
  }

  private keep(hash: string, found: KeyHolder, now: number): void {
    const expires = found.keyExpiresAt ? new Date(found.keyExpiresAt).getTime() : Infinity;
    const until = Math.min(now + this.options.ttlMs, expires);
    if (until <= now) return;
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, { holder: found, until });
  }

  /** Drops a terminal's keys on this instance only. */
  private dropLocal(terminalId: string): void {
    this.epoch++;
    for (const [hash, e] of this.entries) if (e.holder.id === terminalId) this.entries.delete(hash);
  }

  /** A terminal's keys changed: forget them here now, and on every other instance. */
  async invalidate(terminalId: string): Promise<void> {
    this.dropLocal(terminalId);
    await this.pub.publish(this.channel, terminalId);
  }

  /** The terminal store with key lookups cached and every key-changing write invalidating. */
  wrap<T extends Pick<TerminalQueries, "findByKeyHash"> & Pick<TerminalAdmin, "revokeKeys" | "rotateKey" | "disable">>(
    terminals: T,
  ): T {
    const after = async <R>(id: string, write: Promise<R>): Promise<R> => {
      try {
        return await write;
      } finally {
        // Also after a failed write: it may have committed before the error reached us.
        await this.invalidate(id);
      }
    };
    return {
      ...terminals,
      findByKeyHash: (hash: string) => this.find(hash),
      revokeKeys: (id: string) => after(id, terminals.revokeKeys(id)),
      rotateKey: (id: string, key: Parameters<T["rotateKey"]>[1], grace: number) =>
        after(id, terminals.rotateKey(id, key, grace)),
      disable: (id: string) => after(id, terminals.disable(id)),
    };
  }

  /** True while invalidations are heard (and so the cache is used). */
  get listening(): boolean {
    return this.subscribed;
  }

  /** The number of keys kept (tests, metrics). */
  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.stopListening();
    this.sub.disconnect();
  }
}
