import { TerminalClient, waitFor } from "@tillsync/testkit";
import { PullStartBatcher } from "../src/hub/pull-start-batcher";
import type { PullStart } from "../src/store/pull-start";
import { useTestCentral } from "../testing";

/**
 * The pulls' first statements shared by pulls arriving together (hub/pull-start-batcher.ts): the
 * first goes at once, those arriving while it runs in the next one, which began after them (so it
 * sees whatever committed before each of them); every pull gets its own terminal's row.
 */
const start = (id: string): PullStart =>
  ({
    hold: { emergency: { stopped: false }, pause: id === "paused" ? { reason: "r", since: null, by: null } : null },
    identity: { epoch: "e", expiredBelow: "0" },
    unsequenced: false,
    inRun: false,
    head: "7",
  }) as unknown as PullStart;

function gatedStore() {
  const statements: string[][] = [];
  const gates: Array<() => void> = [];
  return {
    statements,
    gates,
    store: {
      startMany: (ids: string[]) =>
        new Promise<Map<string, PullStart>>((resolve) => {
          statements.push(ids);
          gates.push(() => resolve(new Map(ids.map((id) => [id, start(id)]))));
        }),
    },
  };
}

describe("pull start batcher", () => {
  it("reads the first at once and those arriving meanwhile in one statement, each its own terminal's", async () => {
    const g = gatedStore();
    const b = new PullStartBatcher(g.store, 100);
    const first = b.start("t1");
    expect(g.statements).toEqual([["t1"]]);
    const more = [b.start("t2"), b.start("paused"), b.start("t2")];
    expect(g.statements).toHaveLength(1); // they wait for the statement running to end
    g.gates[0]!();
    expect((await first).hold.pause).toBeNull();
    await waitFor(() => g.statements.length === 2, { what: "the second statement" });
    expect(g.statements[1]).toEqual(["t2", "paused"]);
    g.gates[1]!();
    const [a, paused, again] = (await Promise.all(more)) as [PullStart, PullStart, PullStart];
    expect(a.hold.pause).toBeNull();
    expect(paused.hold.pause).toMatchObject({ reason: "r" });
    expect(again).toBe(a);
  });

  it("keeps to its batch size", async () => {
    const g = gatedStore();
    const b = new PullStartBatcher(g.store, 2);
    const all = ["a", "b", "c", "d", "e"].map((id) => b.start(id));
    g.gates[0]!();
    await waitFor(() => g.statements.length === 2);
    g.gates[1]!();
    await waitFor(() => g.statements.length === 3);
    g.gates[2]!();
    await Promise.all(all);
    expect(g.statements).toEqual([["a"], ["b", "c"], ["d", "e"]]);
  });
});

describe("pulls of several terminals at once against PostgreSQL", () => {
  const { central, pg } = useTestCentral("pull_start_batch");

  it("answers each with its own terminal's hold, read when the pulls began", async () => {
    const tills: TerminalClient[] = [];
    for (let i = 0; i < 6; i++) {
      const t = await central.provisionTerminal();
      tills.push(new TerminalClient(central.url, t.terminalId, t.key));
    }
    const paused = tills.filter((_, i) => i % 3 === 1);
    await pg.query(
      `UPDATE terminals SET paused = true, paused_reason = 'by hand', paused_at = now() WHERE id = ANY($1)`,
      [paused.map((t) => t.terminalId)],
    );
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(tills.map((t) => t.raw("GET", "/api/sync/pull?since=0")));
      expect(answers.map((r) => r.status)).toEqual(tills.map((t) => (paused.includes(t) ? 423 : 200)));
    }
    await pg.query(`UPDATE terminals SET paused = false WHERE id = ANY($1)`, [paused.map((t) => t.terminalId)]);
    const after = await Promise.all(tills.map((t) => t.raw("GET", "/api/sync/pull?since=0")));
    expect(after.map((r) => r.status)).toEqual(tills.map(() => 200));
  });
});
