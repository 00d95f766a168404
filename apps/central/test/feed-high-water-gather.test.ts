import { FeedHighWater, SERVED_GATHER_MS } from "../src/feed/feed-high-water";

/**
 * The served cursors of a burst of pulls reach Redis as one write of the greatest per epoch
 * (feed/feed-high-water.ts): a fan-out of a price change to a thousand tills made a thousand
 * Redis round trips for the same head. Redis is a recording fake; time is jest's fake clock.
 */
describe("FeedHighWater.served", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function highWater() {
    const writes: Array<{ key: string; cursor: string }> = [];
    const redis = {
      eval: jest.fn((_script: string, _n: number, key: string, cursor: string) => {
        writes.push({ key, cursor });
        return Promise.resolve(1);
      }),
      get: jest.fn(() => Promise.resolve(null)),
    };
    const hw = new FeedHighWater({
      redis: redis as never,
      identity: { current: jest.fn(), rotate: jest.fn() } as never,
      feed: { top: jest.fn() } as never,
      timeoutMs: 1000,
    });
    return { hw, writes };
  }
  /** Lets the timer fire and the writes it starts run. */
  const elapse = async (ms: number) => {
    jest.advanceTimersByTime(ms);
    await Promise.resolve();
    await Promise.resolve();
  };

  it("writes a burst's greatest cursor once per epoch, compared as numbers", async () => {
    const { hw, writes } = highWater();
    for (const c of ["7", "10", "9", "10", "8"]) hw.served("e1", c);
    hw.served("e2", "3");
    expect(writes).toEqual([]); // nothing before the window ends: the pulls were answered already
    await elapse(SERVED_GATHER_MS);
    expect(writes).toEqual([
      { key: "feed:high-water:e1", cursor: "10" },
      { key: "feed:high-water:e2", cursor: "3" },
    ]);
  });

  it("writes a later pull's cursor in a window of its own", async () => {
    const { hw, writes } = highWater();
    hw.served("e1", "5");
    await elapse(SERVED_GATHER_MS);
    hw.served("e1", "6");
    await elapse(SERVED_GATHER_MS);
    expect(writes.map((w) => w.cursor)).toEqual(["5", "6"]);
  });
});
