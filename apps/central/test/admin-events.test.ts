import { AdminEvents, type AdminEventsDeps } from "../src/admin/admin-events";

/** AdminEvents with a fake socket server that records what it emits, and a conflict log the test answers. */
function harness() {
  const emitted: string[] = [];
  let answer: (rows: unknown[]) => void = () => undefined;
  const deps = {
    io: { of: () => ({ emit: (event: string) => emitted.push(event) }) },
    store: {
      terminals: { list: async () => [] },
      conflicts: { get: async () => undefined, byIds: () => new Promise<unknown[]>((r) => (answer = r)) },
    },
    emergencyState: async () => ({ stopped: false }),
    tunables: {},
    log: { warn: () => undefined },
  } as unknown as AdminEventsDeps;
  return { events: new AdminEvents(deps), emitted, answer: (rows: unknown[]) => answer(rows) };
}

const settled = () => new Promise((r) => setImmediate(r));

describe("AdminEvents", () => {
  it("sends an event once its state is read", async () => {
    const h = harness();
    h.events.conflictsCreated(["c1"]);
    h.answer([{ id: "c1" }]);
    await settled();
    expect(h.emitted).toEqual(["conflict:created"]);
  });

  it("sends nothing that was still being built when it closed (central stopping)", async () => {
    const h = harness();
    h.events.conflictsCreated(["c1"]);
    h.events.close();
    h.answer([{ id: "c1" }]);
    await settled();
    expect(h.emitted).toEqual([]);
  });
});
