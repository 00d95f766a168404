import { io, type Socket } from "socket.io-client";
import { PROTOCOL_VERSION, registerAnswerSchema, syncCursorAnswerSchema, syncPullAnswerSchema } from "@tillsync/shared";
import { TerminalClient, waitFor } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

/**
 * The acknowledged cursor over the terminal's socket (`sync:cursor`, hub/socket-cursor-ack.ts):
 * advertised in the register's answer, recorded as the HTTP acknowledge records it (the lag the
 * console shows), refused for anything the HTTP acknowledge would refuse. Agents that register
 * without asking for an answer (older ones) and acknowledge over HTTP are served as before.
 */
const { central, pg } = useTestCentral("socket_cursor_ack");

const open: Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.disconnect();
});

function connect(key: string, protocol?: number): Promise<Socket> {
  const auth = { token: key, ...(protocol ? { protocol } : {}) };
  const s = io(central.url, { auth, transports: ["websocket"], reconnection: false, forceNew: true });
  open.push(s);
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

const ackedCursor = async (terminalId: string): Promise<string> =>
  String((await pg.query(`SELECT acked_cursor FROM terminals WHERE id = $1`, [terminalId])).rows[0].acked_cursor);

interface LagRow {
  id: string;
  lag: number;
}
const lagOf = async (terminalId: string): Promise<number> =>
  (await central.admin<{ terminals: LagRow[] }>("GET", "/api/terminals")).body.terminals.find(
    (t) => t.id === terminalId,
  )!.lag;

/** The feed's head once something was written to it and numbered. */
async function feedWithEntries(): Promise<string> {
  const sku = `CUR-${Math.random().toString(36).slice(2, 10)}`;
  await central.admin("POST", "/api/products", { sku, name: "Cursor", priceCents: 10 });
  await central.running.store.feed.sequence();
  return String((await pg.query(`SELECT max(position) AS head FROM change_feed`)).rows[0].head);
}

describe("sync:cursor", () => {
  it("is advertised in the answer to a register that asks for one", async () => {
    const t = await central.provisionTerminal();
    const s = await connect(t.key);
    const answer: unknown = await s.timeout(5_000).emitWithAck("terminal:register", { terminalId: t.terminalId });
    expect(registerAnswerSchema.parse(answer)).toEqual({ cursorAck: true, pull: true, cursorOnAck: true });
  });

  it("records the cursor as the HTTP acknowledge does: the console's lag falls to 0", async () => {
    const t = await central.provisionTerminal();
    const head = await feedWithEntries();
    expect(await lagOf(t.terminalId)).toBeGreaterThan(0);
    const s = await connect(t.key);
    const answer: unknown = await s
      .timeout(5_000)
      .emitWithAck("sync:cursor", { terminalId: t.terminalId, cursor: head });
    expect(syncCursorAnswerSchema.parse(answer)).toEqual({ ok: true });
    // Written before the answer, as the HTTP acknowledge's 200 comes after its statement.
    expect(await ackedCursor(t.terminalId)).toBe(head);
    expect(await lagOf(t.terminalId)).toBe(0);
  });

  it.each([
    { name: "another terminal's id", payload: (o: string) => ({ terminalId: o, cursor: "5" }), error: /belongs to/ },
    {
      name: "a cursor that is no number",
      payload: (_o: string, me: string) => ({ terminalId: me, cursor: "5; DROP" }),
      error: /sync:cursor/,
    },
    { name: "no payload", payload: () => undefined, error: /sync:cursor/ },
    // Central's feed decides what is a position of it (G8): the HTTP acknowledge's 409.
    {
      name: "a cursor beyond the feed's head",
      payload: (_o: string, me: string) => ({ terminalId: me, cursor: "900000000000" }),
      error: /not a position of central's feed/,
    },
    {
      name: "a cursor of another feed epoch",
      payload: (_o: string, me: string) => ({
        terminalId: me,
        cursor: "1",
        epoch: "00000000-0000-4000-8000-000000000000",
      }),
      error: /not a position of central's feed/,
    },
  ])("refuses $name, and records nothing", async ({ payload, error }) => {
    const t = await central.provisionTerminal();
    const other = await central.provisionTerminal();
    const s = await connect(t.key);
    const before = [await ackedCursor(t.terminalId), await ackedCursor(other.terminalId)];
    const answer: unknown = await s.timeout(5_000).emitWithAck("sync:cursor", payload(other.terminalId, t.terminalId));
    const a = syncCursorAnswerSchema.parse(answer);
    expect(a.ok).toBe(false);
    expect(a.error).toMatch(error);
    expect([await ackedCursor(t.terminalId), await ackedCursor(other.terminalId)]).toEqual(before);
  });

  it("refuses a socket whose key was revoked after its handshake (the HTTP acknowledge would be a 401)", async () => {
    const t = await central.provisionTerminal();
    const head = await feedWithEntries();
    const s = await connect(t.key);
    const before = await ackedCursor(t.terminalId);
    // The key goes as a rotation with no grace would take it, but the socket is left open (as
    // for the moment before its drop arrives): only the key check refuses the cursor then.
    await pg.query(`UPDATE terminal_keys SET revoked_at = now() WHERE terminal_id = $1`, [t.terminalId]);
    await central.running.keyCache.invalidate(t.terminalId);
    const answer: unknown = await s
      .timeout(5_000)
      .emitWithAck("sync:cursor", { terminalId: t.terminalId, cursor: head });
    expect(syncCursorAnswerSchema.parse(answer)).toMatchObject({ ok: false, error: /no longer valid/ });
    expect(await ackedCursor(t.terminalId)).toBe(before);
  });

  it("leaves an older agent as it was: a register without an answer, the cursor over HTTP", async () => {
    const t = await central.provisionTerminal();
    const head = await feedWithEntries();
    const s = await connect(t.key);
    let resumed = false;
    s.on("sync:resume", () => (resumed = true));
    s.emit("terminal:register", { terminalId: t.terminalId });
    await waitFor(() => resumed, { what: "sync:resume after a register without a callback" });
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const r = await till.raw("POST", "/api/sync/acknowledge", { terminalId: t.terminalId, cursor: head });
    expect(r.status).toBe(200);
    expect(await ackedCursor(t.terminalId)).toBe(head);
    expect(await lagOf(t.terminalId)).toBe(0);
  });
});

/**
 * The pull over the terminal's socket (`sync:pull`, hub/socket-pull.ts): the HTTP pull's page and
 * the HTTP pull's errors, for the socket's own terminal only.
 */
describe("sync:pull", () => {
  const pullOver = async (s: Socket, payload: unknown) =>
    syncPullAnswerSchema.parse(await s.timeout(5_000).emitWithAck("sync:pull", payload));

  it("answers the page the HTTP pull answers", async () => {
    const t = await central.provisionTerminal();
    await feedWithEntries();
    const s = await connect(t.key, PROTOCOL_VERSION);
    const answer = await pullOver(s, { terminalId: t.terminalId, since: "0", limit: 50 });
    const http = await new TerminalClient(central.url, t.terminalId, t.key).raw(
      "GET",
      "/api/sync/pull?since=0&limit=50",
    );
    expect(http.status).toBe(200);
    expect(answer).toEqual({ ok: true, page: http.body });
    expect(answer.ok && answer.page.changes.length).toBeGreaterThan(0);
  });

  it("answers a paused terminal with the HTTP pull's 423 body, and another terminal's id with a refusal", async () => {
    const t = await central.provisionTerminal();
    const other = await central.provisionTerminal();
    const s = await connect(t.key, PROTOCOL_VERSION);
    expect(await pullOver(s, { terminalId: other.terminalId, since: "0" })).toMatchObject({
      ok: false,
      reason: /belongs to/,
    });
    await central.admin("POST", `/api/terminals/${t.terminalId}/pause`, { reason: "till swap" });
    const held = await pullOver(s, { terminalId: t.terminalId, since: "0" });
    expect(held).toMatchObject({
      ok: false,
      error: { code: "SYNC_STOPPED", details: { kind: "TERMINAL_PAUSED", reason: "till swap" } },
    });
  });

  it("refuses a socket whose key was revoked after its handshake (the HTTP pull would be a 401)", async () => {
    const t = await central.provisionTerminal();
    const s = await connect(t.key, PROTOCOL_VERSION);
    await pg.query(`UPDATE terminal_keys SET revoked_at = now() WHERE terminal_id = $1`, [t.terminalId]);
    await central.running.keyCache.invalidate(t.terminalId);
    const answer = await pullOver(s, { terminalId: t.terminalId, since: "0" });
    expect(answer).toMatchObject({ ok: false, reason: /no longer valid/ });
    expect("page" in answer).toBe(false);
  });
});
