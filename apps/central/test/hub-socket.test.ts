import { connectTestSocket, startTestCentral, TerminalClient, waitFor, type TestCentral, type TestSocket } from "@tillsync/testkit";

/** socket.io hub: auth like HTTP, triggers from POST /api/sync/all acked, pending ones kept for reconnects. */
describe("hub sockets", () => {
  let central: TestCentral;
  const sockets: TestSocket[] = [];
  const open = (creds: { terminalId: string; key: string }, opts?: { autoAck?: boolean }) => {
    const s = connectTestSocket(central.url, creds, opts);
    sockets.push(s);
    return s;
  };
  const noPendingTrigger = async (terminalId: string) => !(await central.running.redis.exists(`hub:trigger:pending:${terminalId}`));

  beforeAll(async () => {
    central = await startTestCentral("hubsock");
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await central?.stop();
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
    await expect(bad.ready).rejects.toThrow(/unknown, revoked or its terminal is disabled/);
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
    expect((await oldHttp.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "idle", outbox: {} })).status).toBe(401);

    const current = { terminalId: t.terminalId, key: rotated.body.key };
    const fresh = open(current);
    await fresh.ready;
    const http = new TerminalClient(central.url, t.terminalId, current.key);
    expect((await http.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "idle", outbox: {} })).status).toBe(200);
    expect((await central.admin("POST", `/api/terminals/${t.terminalId}/disable`)).status).toBe(200);
    await waitFor(() => !fresh.socket.connected, { what: "disabled terminal's socket disconnected" });
    await expect(open(current).ready).rejects.toThrow(/disabled/);
    expect((await http.raw("POST", "/api/sync/heartbeat", { terminalId: t.terminalId, status: "idle", outbox: {} })).status).toBe(401);
  });

  it("answers 400 naming the field for a malformed sync-all body", async () => {
    const r = await central.admin<{ error: { message: string } }>("POST", "/api/sync/all", { terminalId: "nope" });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/terminalId/);
    const both = await central.admin<{ error: { message: string } }>("POST", "/api/sync/all", {});
    expect(both.status).toBe(400);
  });
});
