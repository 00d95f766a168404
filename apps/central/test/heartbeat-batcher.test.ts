import { TerminalClient, waitFor } from "@tillsync/testkit";
import { HUB_DEFAULTS } from "../src/config";
import { HeartbeatBatcher, hubHeartbeatBatcher } from "../src/hub/heartbeat-batcher";
import type { StoredHeartbeat } from "../src/store/stored-heartbeat";
import type { HeartbeatTransition } from "../src/store/terminals";
import { useTestCentral } from "../testing";

const { central, pg } = useTestCentral("hbbatch");

const hb = (status: string): StoredHeartbeat =>
  ({ status, outbox: {}, at: new Date().toISOString() }) as StoredHeartbeat;

/** A store whose writes finish only when the test says so, recording every statement. */
function gatedStore() {
  const writes: Array<Array<{ id: string; status: string }>> = [];
  const gates: Array<{ open(transitions?: Map<string, HeartbeatTransition>): void; fail(err: Error): void }> = [];
  return {
    writes,
    gates,
    store: {
      recordHeartbeats: (batch: Array<{ id: string; heartbeat: StoredHeartbeat }>) =>
        new Promise<Map<string, HeartbeatTransition>>((resolve, fail) => {
          writes.push(batch.map((b) => ({ id: b.id, status: b.heartbeat.status })));
          gates.push({ open: (ts) => resolve(ts ?? new Map()), fail });
        }),
    },
  };
}

describe("heartbeat batcher", () => {
  it("writes the first heartbeat at once and those arriving meanwhile together in the next statement", async () => {
    const g = gatedStore();
    const batcher = new HeartbeatBatcher(g.store, 100);
    let firstDone = false;
    const first = batcher.record("t1", hb("idle")).then(() => (firstDone = true));
    expect(g.writes).toEqual([[{ id: "t1", status: "idle" }]]);
    const more = ["t2", "t3", "t4"].map((id) => batcher.record(id, hb("idle")));
    expect(g.writes).toHaveLength(1); // they wait for the running write
    g.gates[0]!.open();
    await first;
    expect(firstDone).toBe(true);
    await waitFor(() => g.writes.length === 2);
    expect(g.writes[1]!.map((w) => w.id)).toEqual(["t2", "t3", "t4"]);
    g.gates[1]!.open();
    await Promise.all(more);
  });

  it("settles a caller only once its own heartbeat is written; two of one terminal write the later", async () => {
    const g = gatedStore();
    const batcher = new HeartbeatBatcher(g.store, 100);
    void batcher.record("t0", hb("idle"));
    let settled = 0;
    const a = batcher.record("t1", hb("idle")).then(() => settled++);
    const b = batcher.record("t1", hb("syncing")).then(() => settled++);
    g.gates[0]!.open();
    await waitFor(() => g.writes.length === 2);
    expect(settled).toBe(0);
    expect(g.writes[1]).toEqual([{ id: "t1", status: "syncing" }]);
    g.gates[1]!.open();
    await Promise.all([a, b]);
    expect(settled).toBe(2);
  });

  it("hands the row's transition to the first heartbeat of a terminal in a batch, and a later one what the one before it left", async () => {
    const g = gatedStore();
    const batcher = new HeartbeatBatcher(g.store, 100);
    void batcher.record("t0", hb("idle"));
    const a = batcher.record("t1", { ...hb("idle"), circuit: "open" } as StoredHeartbeat);
    const b = batcher.record("t1", { ...hb("idle"), circuit: "open" } as StoredHeartbeat);
    const c = batcher.record("t1", { ...hb("idle"), circuit: "closed" } as StoredHeartbeat);
    g.gates[0]!.open();
    await waitFor(() => g.writes.length === 2);
    g.gates[1]!.open(new Map([["t1", { name: "till 1", cameBack: true, circuitWasOpen: false }]]));
    // Came back once and the circuit opened once, as if the three had been written one by one.
    await expect(a).resolves.toEqual({ name: "till 1", cameBack: true, circuitWasOpen: false });
    await expect(b).resolves.toEqual({ name: "till 1", cameBack: false, circuitWasOpen: true });
    await expect(c).resolves.toEqual({ name: "till 1", cameBack: false, circuitWasOpen: true });
  });

  it("passes its window on: a heartbeat of a quiet moment is not written at once, and then is", async () => {
    // The window itself (gathering, no second wait, failures) is group-commit.test.ts's.
    const g = gatedStore();
    const batcher = new HeartbeatBatcher(g.store, 100, 30);
    const first = batcher.record("t1", hb("idle"));
    expect(g.writes).toEqual([]);
    await waitFor(() => g.writes.length === 1);
    // Nor, once a statement committed, the one that arrived during it: the window spaces statements out.
    const second = batcher.record("t2", hb("idle"));
    g.gates[0]!.open();
    await first;
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(g.writes).toHaveLength(1);
    await waitFor(() => g.writes.length === 2);
    g.gates[1]!.open();
    await second;
  });
  it("the hub's batcher writes a backlog that queued behind a slow statement 100 heartbeats at a time", async () => {
    const g = gatedStore();
    const batcher = hubHeartbeatBatcher(g.store, HUB_DEFAULTS);
    const first = batcher.record("t0", hb("idle"));
    await waitFor(() => g.writes.length === 1);
    // PostgreSQL is slow to answer: 250 tills beat meanwhile.
    const backlog = Array.from({ length: 250 }, (_, i) => batcher.record(`t${i + 1}`, hb("idle")));
    g.gates[0]!.open();
    await first;
    for (let n = 2; n <= 4; n++) {
      await waitFor(() => g.writes.length === n);
      g.gates[n - 1]!.open();
    }
    await Promise.all(backlog);
    expect(g.writes.slice(1).map((w) => w.length)).toEqual([100, 100, 50]);
    expect(
      g.writes
        .slice(1)
        .flat()
        .map((w) => w.id),
    ).toEqual(Array.from({ length: 250 }, (_, i) => `t${i + 1}`));
  });

  it("stores each terminal's own heartbeat when many arrive at once over HTTP", async () => {
    const { body } = await central.admin<{ store: { id: string } }>("POST", "/api/stores", { name: "batch" });
    const terminals = await Promise.all(
      Array.from({ length: 40 }, (_, i) => central.provisionTerminal({ storeId: body.store.id, name: `till ${i}` })),
    );
    const answers = await Promise.all(
      terminals.map((t, i) =>
        new TerminalClient(central.url, t.terminalId, t.key).raw("POST", "/api/sync/heartbeat", {
          terminalId: t.terminalId,
          status: "idle",
          outbox: { sale_orders: { pending: i, failed: 0, synced: 0, conflicts: 0 } },
        }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(terminals.map(() => 200));
    // Answered before written (routes/heartbeat-route.ts): a plain SQL client sees them soon after.
    const rows = await waitFor(
      async () => {
        const { rows } = await pg.query<{ id: string; status: string; pending: number }>(
          `SELECT id, status, (last_heartbeat->'outbox'->'sale_orders'->>'pending')::int AS pending
             FROM terminals WHERE store_id = $1`,
          [body.store.id],
        );
        return rows.every((r) => r.status === "ONLINE") ? rows : undefined;
      },
      { what: "every heartbeat stored" },
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    terminals.forEach((t, i) => {
      expect(byId.get(t.terminalId)).toMatchObject({ status: "ONLINE", pending: i });
    });
  });
});
