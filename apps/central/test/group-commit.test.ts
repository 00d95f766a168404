import { GroupCommit, type GroupCommitOptions } from "../src/hub/group-commit";

/**
 * The hub's group commit (hub/group-commit.ts), which heartbeats and acknowledged cursors share:
 * a pure unit, its writes held open or failed by the test, the window on jest's fake clock.
 */

type Write = Array<{ key: string; inputs: string[] }>;

/** Writes that finish only when the test says so; each waiter settles with its key and input. */
function held(opts: Partial<GroupCommitOptions<string, string, void>> = {}) {
  const writes: Write[] = [];
  const gates: Array<{ open(): void; fail(err: Error): void }> = [];
  const commit = new GroupCommit<string, string, void>({
    maxBatch: 100,
    write: (batch) =>
      new Promise<void>((open, fail) => {
        writes.push(batch.map(([key, ws]) => ({ key, inputs: ws.map((w) => w.input) })));
        gates.push({ open, fail });
      }),
    settle: (key, waiters) => {
      for (const w of waiters) w.resolve(`${key}:${w.input}`);
    },
    ...opts,
  });
  return { commit, writes, gates };
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

afterEach(() => jest.useRealTimers());

describe("group commit", () => {
  it("rejects only the callers of a failed statement, keeps at most maxBatch keys per statement, and goes on", async () => {
    const g = held({ maxBatch: 2 });
    const first = g.commit.submit("t0", "a");
    const rest = ["t1", "t2", "t3"].map((k) => g.commit.submit(k, "b"));
    g.gates[0]!.fail(new Error("connection lost"));
    await expect(first).rejects.toThrow("connection lost");
    await turns();
    expect(g.writes.map((w) => w.map((x) => x.key))).toEqual([["t0"], ["t1", "t2"]]);
    g.gates[1]!.open();
    await turns();
    expect(g.writes[2]).toEqual([{ key: "t3", inputs: ["b"] }]);
    g.gates[2]!.open();
    expect(await Promise.all(rest)).toEqual(["t1:b", "t2:b", "t3:b"]);
  });

  it("hands a key's waiters to settle in arrival order, once their own statement committed", async () => {
    const g = held();
    const first = g.commit.submit("t1", "1");
    const later = [g.commit.submit("t1", "2"), g.commit.submit("t1", "3")];
    let settled = 0;
    for (const p of later) void p.then(() => settled++);
    g.gates[0]!.open();
    expect(await first).toBe("t1:1");
    await turns();
    expect(settled).toBe(0);
    expect(g.writes[1]).toEqual([{ key: "t1", inputs: ["2", "3"] }]);
    g.gates[1]!.open();
    expect(await Promise.all(later)).toEqual(["t1:2", "t1:3"]);
  });

  it("with a window, gathers a quiet moment's inputs into one statement; arrivals during a write wait no window", async () => {
    jest.useFakeTimers();
    const g = held({ windowMs: 30 });
    const first = ["t1", "t2"].map((k) => g.commit.submit(k, "x"));
    expect(g.writes).toEqual([]);
    jest.advanceTimersByTime(20);
    const third = g.commit.submit("t3", "x");
    expect(g.writes).toEqual([]);
    jest.advanceTimersByTime(10);
    expect(g.writes).toEqual([
      [
        { key: "t1", inputs: ["x"] },
        { key: "t2", inputs: ["x"] },
        { key: "t3", inputs: ["x"] },
      ],
    ]);
    const during = g.commit.submit("t4", "x");
    g.gates[0]!.open();
    await Promise.all([...first, third]);
    await turns();
    expect(g.writes[1]).toEqual([{ key: "t4", inputs: ["x"] }]); // no timer advanced: no second window
    g.gates[1]!.open();
    await during;
  });

  it("with a window, writes the next window's inputs after a statement failed", async () => {
    jest.useFakeTimers();
    const g = held({ windowMs: 10 });
    const lost = ["t1", "t2"].map((k) => g.commit.submit(k, "x"));
    jest.advanceTimersByTime(10);
    g.gates[0]!.fail(new Error("terminating connection due to administrator command"));
    for (const p of lost) await expect(p).rejects.toThrow("administrator command");
    const next = ["t1", "t3"].map((k) => g.commit.submit(k, "y"));
    expect(g.writes).toHaveLength(1);
    jest.advanceTimersByTime(10);
    expect(g.writes[1]).toEqual([
      { key: "t1", inputs: ["y"] },
      { key: "t3", inputs: ["y"] },
    ]);
    g.gates[1]!.open();
    expect(await Promise.all(next)).toEqual(["t1:y", "t3:y"]);
  });

  it("with a spacing, starts a statement no sooner than that after the last one started, carrying all that arrived", async () => {
    jest.useFakeTimers();
    const g = held({ spacingMs: 25 });
    const first = g.commit.submit("t1", "x"); // a quiet moment: at once
    expect(g.writes).toHaveLength(1);
    const during = ["t2", "t3"].map((k) => g.commit.submit(k, "x"));
    jest.advanceTimersByTime(5);
    g.gates[0]!.open();
    await first;
    await turns();
    expect(g.writes).toHaveLength(1); // committed after 5 ms: the next waits for the spacing
    const later = g.commit.submit("t4", "x");
    jest.advanceTimersByTime(20);
    await turns();
    expect(g.writes[1]!.map((w) => w.key)).toEqual(["t2", "t3", "t4"]);
    g.gates[1]!.open();
    await Promise.all([...during, later]);
  });
});
