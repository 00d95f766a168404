import { useTestCentral } from "../testing";
import { connectTestSocket, TerminalClient, waitFor, type TestSocket } from "@tillsync/testkit";

// Boot's own SERVER_RESTART round first, so it cannot merge into the triggers tested here.
const { central } = useTestCentral("hubsock", {}, { hub: { restartTriggerDelayMs: 0 } });

/** socket.io hub: auth like HTTP, triggers from POST /api/sync/all acked, pending ones kept for reconnects. */
describe("hub sockets", () => {
  const sockets: TestSocket[] = [];
  const open = (creds: { terminalId: string; key: string }, opts?: { autoAck?: boolean }) => {
    const s = connectTestSocket(central.url, creds, opts);
    sockets.push(s);
    return s;
  };
  const noPendingTrigger = async (terminalId: string) =>
    !(await central.running.redis.exists(`hub:trigger:pending:${terminalId}`));

  beforeAll(async () => {
    await waitFor(async () => (await central.running.metrics.jobRunCount("server-restart")) === 1, {
      what: "boot restart round",
    });
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  it("delivers POST /api/sync/all as sync:trigger FULL MANUAL and clears it on sync:ack", async () => {
    const t = await central.provisionTerminal();
    const s = open(t);
    await s.ready;
    const r = await central.admin("POST", "/api/sync/all", { terminalId: t.terminalId });
    expect(r.status).toBe(202);
    const trigger = await waitFor(() => s.triggers.find((x) => x.reason === "MANUAL"), { what: "MANUAL trigger" });
    expect(trigger).toMatchObject({ type: "FULL", terminalId: t.terminalId, reason: "MANUAL" });
    expect(await noPendingTrigger(t.terminalId)).toBe(false);
    s.ack(trigger);
    await waitFor(() => noPendingTrigger(t.terminalId), { what: "pending trigger cleared by the ack" });
  });

  it("keeps a trigger sent while the terminal was disconnected and delivers it when it reconnects", async () => {
    const t = await central.provisionTerminal();
    const r = await central.admin<{ triggered: string[] }>("POST", "/api/sync/all", { allTerminals: true });
    expect(r.body.triggered).toContain(t.terminalId);
    const s = open(t, { autoAck: true });
    await waitFor(() => s.triggers.find((x) => x.reason === "MANUAL"), { what: "trigger on reconnect" });
    await waitFor(() => noPendingTrigger(t.terminalId), { what: "acked" });
  });

  it("refuses bad, rotated-out and disabled keys on HTTP and socket, and disconnects live sockets at once", async () => {
    const bad = open({ terminalId: "00000000-0000-4000-8000-000000000000", key: "tsk_not-a-real-key-at-all" });
    await expect(bad.ready).rejects.toThrow(/unknown, revoked, past its grace period or its terminal is disabled/);
    const none = open({ terminalId: "00000000-0000-4000-8000-000000000000", key: "" });
    await expect(none.ready).rejects.toThrow(/auth: \{ token/);

    const t = await central.provisionTerminal();
    const live = open(t);
    await live.ready;
    const rotated = await central.admin<{ key: string }>("POST", `/api/terminals/${t.terminalId}/rotate-key`);
    expect(rotated.status).toBe(200);
    await waitFor(() => !live.socket.connected, { what: "socket with the old key disconnected" });
    const oldKey = open(t);
    await expect(oldKey.ready).rejects.toThrow(/revoked/);
    const oldHttp = new TerminalClient(central.url, t.terminalId, t.key);
    expect(
      (await oldHttp.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "idle", outbox: {} }))
        .status,
    ).toBe(401);

    const current = { terminalId: t.terminalId, key: rotated.body.key };
    const fresh = open(current);
    await fresh.ready;
    const http = new TerminalClient(central.url, t.terminalId, current.key);
    expect(
      (await http.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "idle", outbox: {} })).status,
    ).toBe(200);
    expect((await central.admin("POST", `/api/terminals/${t.terminalId}/disable`)).status).toBe(200);
    await waitFor(() => !fresh.socket.connected, { what: "disabled terminal's socket disconnected" });
    await expect(open(current).ready).rejects.toThrow(/disabled/);
    expect(
      (await http.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "idle", outbox: {} })).status,
    ).toBe(401);
  });

  it("answers 400 naming the field for a malformed sync-all body", async () => {
    const r = await central.admin<{ error: { message: string } }>("POST", "/api/sync/all", { terminalId: "nope" });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/terminalId/);
    const both = await central.admin<{ error: { message: string } }>("POST", "/api/sync/all", {});
    expect(both.status).toBe(400);
  });

  it("sends DATA_CHANGED INCREMENTAL only to terminals whose scope changed", async () => {
    const t1 = await central.provisionTerminal();
    const t2 = await central.provisionTerminal(); // another store
    const s1 = open(t1, { autoAck: true });
    const s2 = open(t2, { autoAck: true });
    await Promise.all([s1.ready, s2.ready]);
    const productId = "6f1c2a9e-3b7d-4c1e-9a2f-0d8e7b6c5a41";
    const dataChanged = (s: TestSocket) => s.triggers.filter((x) => x.reason === "DATA_CHANGED");
    // A product is in every terminal's scope.
    await central.admin("POST", "/api/products", { id: productId, sku: "SCOPE-1", name: "scope", priceCents: 100 });
    await waitFor(() => dataChanged(s1).length === 1 && dataChanged(s2).length === 1, {
      what: "both told of the catalogue change",
    });
    await waitFor(async () => (await noPendingTrigger(t1.terminalId)) && (await noPendingTrigger(t2.terminalId)), {
      what: "both acked",
    });
    // Stock is per store: only store 1's terminal hears of it. Then a catalogue change again,
    // which store 2 hears of: if the stock change had reached it, it would count two.
    await central.admin("POST", "/api/stock", { storeId: t1.storeId, productId, quantity: 5 });
    await waitFor(() => dataChanged(s1).length === 2, { what: "store 1 told of its stock" });
    expect(dataChanged(s1)[1]).toMatchObject({ type: "INCREMENTAL", terminalId: t1.terminalId });
    await central.admin("POST", "/api/products", { id: productId, sku: "SCOPE-1", name: "scope", priceCents: 90 });
    await waitFor(() => dataChanged(s1).length === 3 && dataChanged(s2).length === 2, {
      what: "both told of the second catalogue change",
    });
    expect(dataChanged(s2)).toHaveLength(2);
  });
});
