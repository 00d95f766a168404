import { Redis } from "ioredis";
import { TEST_REDIS_URL, TerminalClient, waitFor } from "@tillsync/testkit";
import { TerminalKeyCache } from "../src/auth/key-cache";
import type { KeyHolder } from "../src/store/terminals";
import { useTestCentral } from "../testing";
import { useSecondInstance } from "./support/second-instance";

/**
 * The verified-key cache (auth/key-cache.ts) with two instances on one database and Redis: a
 * key cached on B stops working on B the moment A revokes, rotates or disables it. The cache
 * is kept for a minute here, so a missed invalidation would leave the old key working.
 */
const { central: a } = useTestCentral("keycache", {}, { hub: { terminalKeyCacheMs: 60_000 } });

describe("terminal key cache across instances", () => {
  const b = useSecondInstance(a);

  /** A terminal whose key B has verified (and so cached); the cache holds it. */
  async function cachedOnB() {
    const t = await a.provisionTerminal();
    const onB = new TerminalClient(b.url, t.terminalId, t.key);
    await waitFor(() => b.running.keyCache.listening, { what: "B subscribed to key changes" });
    const before = b.running.keyCache.size;
    expect((await onB.raw("GET", "/api/sync/pull")).status).toBe(200);
    expect(b.running.keyCache.size).toBe(before + 1);
    expect((await onB.raw("GET", "/api/sync/pull")).status).toBe(200);
    return { t, onB };
  }

  it("a key revoked on A is refused on B at once, over HTTP and the socket handshake", async () => {
    const { t, onB } = await cachedOnB();
    expect((await a.admin("POST", `/api/terminals/${t.terminalId}/revoke-key`, {})).status).toBe(200);
    expect((await onB.raw("GET", "/api/sync/pull")).status).toBe(401);
    const s = b.connectTo(b.url, t);
    await expect(s.ready).rejects.toThrow(/unknown, revoked/);
  });

  it("a key rotated out on A (no grace) is refused on B at once; the new key works on both", async () => {
    const { t, onB } = await cachedOnB();
    const r = await a.admin<{ key: string }>("POST", `/api/terminals/${t.terminalId}/rotate-key`, {});
    expect(r.status).toBe(200);
    expect((await onB.raw("GET", "/api/sync/pull")).status).toBe(401);
    expect((await onB.raw("GET", "/api/sync/pull", undefined, r.body.key)).status).toBe(200);
    const onA = new TerminalClient(a.url, t.terminalId, r.body.key);
    expect((await onA.raw("GET", "/api/sync/pull")).status).toBe(200);
  });

  it("a key in its grace period stops on B when the grace ends, not when the cache entry would", async () => {
    const { t, onB } = await cachedOnB();
    const r = await a.admin<{ previousKeyValidUntil: string }>("POST", `/api/terminals/${t.terminalId}/rotate-key`, {
      graceSeconds: 1,
    });
    const until = Date.parse(r.body.previousKeyValidUntil);
    expect((await onB.raw("GET", "/api/sync/pull")).status).toBe(200); // cached again, with its expiry
    await waitFor(async () => (await onB.raw("GET", "/api/sync/pull")).status === 401, {
      what: "old key refused on B after the grace",
      timeoutMs: 10_000,
    });
    expect(Date.now()).toBeGreaterThanOrEqual(until);
  });

  it("a terminal disabled on A is refused on B at once", async () => {
    const { t, onB } = await cachedOnB();
    expect((await a.admin("POST", `/api/terminals/${t.terminalId}/disable`, {})).status).toBe(200);
    expect((await onB.raw("GET", "/api/sync/pull")).status).toBe(401);
  });
});

describe("terminal key cache, one instance", () => {
  const prefix = `keycache-unit-${process.pid}`;
  // Publishes only (no keys are written): nothing to clean up under this prefix.
  const redis = new Redis(TEST_REDIS_URL);
  const holder: KeyHolder = { id: "t1", storeId: "s1", name: "Till", keyId: "k1", keyExpiresAt: null };
  afterAll(() => redis.disconnect());

  function cacheWith(findByKeyHash: (hash: string) => Promise<KeyHolder | undefined>) {
    return TerminalKeyCache.start({
      lookup: { findByKeyHash },
      pub: redis,
      redisUrl: TEST_REDIS_URL,
      prefix,
      options: { ttlMs: 60_000, maxEntries: 2 },
    });
  }

  it("does not keep a lookup that overlapped an invalidation (it may have read the row before the change)", async () => {
    let release: (v: KeyHolder) => void = () => undefined;
    const calls: string[] = [];
    const cache = cacheWith((hash) => {
      calls.push(hash);
      return calls.length === 1 ? new Promise((r) => (release = r)) : Promise.resolve(holder);
    });
    await waitFor(() => cache.listening, { what: "subscribed" });
    const first = cache.find("h");
    await waitFor(() => calls.length === 1);
    await cache.invalidate("t1");
    release(holder);
    await first;
    expect(cache.size).toBe(0);
    await cache.find("h");
    await cache.find("h");
    expect(calls).toEqual(["h", "h"]); // the second lookup was kept, the third served from it
    cache.close();
  });

  it("never caches an unknown key, and keeps at most maxEntries", async () => {
    const calls: string[] = [];
    const cache = cacheWith((hash) => {
      calls.push(hash);
      return Promise.resolve(hash === "bad" ? undefined : { ...holder, id: hash });
    });
    await waitFor(() => cache.listening, { what: "subscribed" });
    expect(await cache.find("bad")).toBeUndefined();
    expect(await cache.find("bad")).toBeUndefined();
    for (const h of ["x", "y", "z"]) await cache.find(h);
    expect(cache.size).toBe(2);
    await cache.find("z");
    expect(calls).toEqual(["bad", "bad", "x", "y", "z"]);
    cache.close();
  });

  it("is bypassed while its subscription is down (an invalidation could be missed)", async () => {
    let n = 0;
    const cache = cacheWith(() => {
      n++;
      return Promise.resolve(holder);
    });
    await waitFor(() => cache.listening, { what: "subscribed" });
    await cache.find("h");
    cache.close(); // the subscriber is gone: nothing may be served from memory
    await cache.find("h");
    await cache.find("h");
    expect(n).toBe(3);
  });
});
