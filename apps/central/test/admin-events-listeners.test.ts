import { AdminEvents, type AdminEventsDeps } from "../src/admin/admin-events";

/**
 * Activity events (a heartbeat, pull, push) read the terminal's health from PostgreSQL: only
 * when a console listens somewhere in the cluster. A fake socket server says how many consoles
 * are connected here and on the other instances.
 */
function harness(local: number, remote: number) {
  const emitted: string[] = [];
  const reads: string[] = [];
  let asked = 0;
  const nsp = {
    sockets: new Map(Array.from({ length: local }, (_, i) => [`s${i}`, {}])),
    emit: (event: string) => emitted.push(event),
    fetchSockets: async () => {
      asked++;
      return Array.from({ length: local + remote }, () => ({}));
    },
  };
  const deps = {
    io: { of: () => nsp },
    store: {
      terminals: {
        list: async (_cap: number, id: string) => {
          reads.push(id);
          return [{ id, name: "Till", status: "ONLINE", heartbeat: null, lag: 0 }];
        },
      },
      conflicts: { get: async () => undefined, byIds: async () => [] },
    },
    emergencyState: async () => ({ stopped: false }),
    tunables: { lagCap: 1000, backlogAlertFailed: 5, delayedAfterMs: 60_000 },
    log: { warn: () => undefined },
    activityEveryMs: 0,
  } as unknown as AdminEventsDeps;
  return { events: new AdminEvents(deps), emitted, reads, nsp, asked: () => asked };
}

const settled = () => new Promise((r) => setTimeout(r, 10));

describe("AdminEvents activity, by who listens", () => {
  it("reads nothing and sends nothing when no console is connected anywhere, asking the cluster at most once a second", async () => {
    const h = harness(0, 0);
    for (const id of ["t1", "t2", "t3"]) h.events.terminalActivity(id);
    await settled();
    expect(h.reads).toEqual([]);
    expect(h.emitted).toEqual([]);
    expect(h.asked()).toBe(1);
  });

  it("sends to a console connected here at once, without asking the cluster", async () => {
    const h = harness(1, 0);
    h.events.terminalActivity("t1");
    await settled();
    expect(h.reads).toEqual(["t1"]);
    expect(h.emitted).toEqual(["terminal:heartbeat"]);
    expect(h.asked()).toBe(0);
  });

  it("sends when the only console is connected to another instance", async () => {
    const h = harness(0, 1);
    h.events.terminalActivity("t1");
    await settled();
    expect(h.reads).toEqual(["t1"]);
    expect(h.emitted).toEqual(["terminal:heartbeat"]);
  });

  it("sees a console that connects here right after the cluster said there was none", async () => {
    const h = harness(0, 0);
    h.events.terminalActivity("t1");
    await settled();
    h.nsp.sockets.set("late", {});
    h.events.terminalActivity("t2");
    await settled();
    expect(h.reads).toEqual(["t2"]);
    expect(h.emitted).toEqual(["terminal:heartbeat"]);
  });
});
