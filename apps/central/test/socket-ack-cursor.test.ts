import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import {
  registerAnswerSchema,
  syncAllResponseSchema,
  syncCursorAnswerSchema,
  syncRunResponseSchema,
  type SyncCursorAnswer,
} from "@tillsync/shared";
import { TerminalClient, waitFor } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

/**
 * The applied cursor on the trigger's `sync:ack` (hub/socket-ack.ts), offered in the register's
 * answer (`cursorOnAck`): recorded as the HTTP acknowledge records it (the console's lag), but only
 * a position of central's feed as it stands (the feed's epoch, the database the epoch was given
 * to, not beyond the head), for the socket's own terminal and a key still valid. The trigger is
 * acked whatever becomes of the cursor.
 */
// No SERVER_RESTART round while the tests run: its trigger would be the one a MANUAL run merges into.
const { central, pg } = useTestCentral("socket_ack_cursor", {}, { hub: { restartTriggerDelayMs: 600_000 } });

const open: Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.disconnect();
});

function connect(key: string): Promise<Socket> {
  const s = io(central.url, { auth: { token: key }, transports: ["websocket"], reconnection: false, forceNew: true });
  open.push(s);
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

const ackedCursor = async (terminalId: string): Promise<string> =>
  String((await pg.query(`SELECT acked_cursor FROM terminals WHERE id = $1`, [terminalId])).rows[0].acked_cursor);

const lagOf = async (terminalId: string): Promise<number> =>
  (await central.admin<{ terminals: Array<{ id: string; lag: number }> }>("GET", "/api/terminals")).body.terminals.find(
    (t) => t.id === terminalId,
  )!.lag;

/** A price change numbered into the feed; the terminal's own pull of it gives the cursor and epoch. */
async function pulled(t: { terminalId: string; key: string }): Promise<{ cursor: string; epoch: string }> {
  const sku = `ACK-${Math.random().toString(36).slice(2, 10)}`;
  await central.admin("POST", "/api/products", { sku, name: "Ack", priceCents: 10 });
  const r = await new TerminalClient(central.url, t.terminalId, t.key).raw("GET", "/api/sync/pull?since=0&limit=5000");
  expect(r.status).toBe(200);
  const page = r.body as { nextCursor: string; epoch: string; hasMore: boolean };
  expect(page.hasMore).toBe(false);
  return { cursor: page.nextCursor, epoch: page.epoch };
}

const ackWith = async (s: Socket, payload: unknown): Promise<SyncCursorAnswer> =>
  syncCursorAnswerSchema.parse(await s.timeout(5_000).emitWithAck("sync:ack", payload));

describe("the cursor on sync:ack", () => {
  it("is offered in the answer to a register that asks for one", async () => {
    const t = await central.provisionTerminal();
    const s = await connect(t.key);
    const answer: unknown = await s.timeout(5_000).emitWithAck("terminal:register", { terminalId: t.terminalId });
    expect(registerAnswerSchema.parse(answer)).toMatchObject({ cursorOnAck: true });
  });

  it("is recorded as the HTTP acknowledge records it, and the trigger is acked with it", async () => {
    const t = await central.provisionTerminal();
    const { cursor, epoch } = await pulled(t);
    expect(await lagOf(t.terminalId)).toBeGreaterThan(0);
    const s = await connect(t.key);
    const triggers: Array<{ timestamp: string; reason: string }> = [];
    s.on("sync:trigger", (p: { timestamp: string; reason: string }) => triggers.push(p));
    s.emit("terminal:register", { terminalId: t.terminalId });
    const run = await central.admin("POST", "/api/sync/all", { terminalId: t.terminalId });
    const runId = syncAllResponseSchema.parse(run.body).runId;
    const trigger = await waitFor(() => triggers.find((x) => x.reason === "MANUAL"), { what: "the MANUAL trigger" });
    const answer = await ackWith(s, {
      terminalId: t.terminalId,
      type: "FULL",
      timestamp: trigger.timestamp,
      cursor,
      epoch,
    });
    expect(answer).toEqual({ ok: true });
    // Written before the answer, as the HTTP acknowledge's 200 comes after its statement.
    expect(await ackedCursor(t.terminalId)).toBe(cursor);
    expect(await lagOf(t.terminalId)).toBe(0);
    const r = await central.admin("GET", `/api/sync/runs/${runId}?wait=10`);
    expect(syncRunResponseSchema.parse(r.body)).toMatchObject({ status: "SUCCESS", terminals: { acked: 1 } });
  });

  it.each([
    {
      name: "a cursor beyond the feed's head",
      change: (c: string, e: string) => ({ cursor: `${BigInt(c) + 1000n}`, epoch: e }),
    },
    { name: "a cursor of another feed epoch", change: (c: string) => ({ cursor: c, epoch: randomUUID() }) },
  ])("refuses $name and records nothing", async ({ change }) => {
    const t = await central.provisionTerminal();
    const { cursor, epoch } = await pulled(t);
    const s = await connect(t.key);
    const before = await ackedCursor(t.terminalId);
    const answer = await ackWith(s, { terminalId: t.terminalId, type: "INCREMENTAL", ...change(cursor, epoch) });
    expect(answer).toMatchObject({ ok: false, error: /not a position of central's feed/ });
    expect(await ackedCursor(t.terminalId)).toBe(before);
  });

  it("refuses a cursor without its epoch, another terminal's id and a key revoked after the handshake", async () => {
    const t = await central.provisionTerminal();
    const other = await central.provisionTerminal();
    const { cursor, epoch } = await pulled(t);
    const s = await connect(t.key);
    const before = [await ackedCursor(t.terminalId), await ackedCursor(other.terminalId)];
    const base = { terminalId: t.terminalId, type: "INCREMENTAL" };
    expect(await ackWith(s, { ...base, cursor })).toMatchObject({ ok: false, error: /needs the epoch/ });
    expect(await ackWith(s, { ...base, terminalId: other.terminalId, cursor, epoch })).toMatchObject({
      ok: false,
      error: /belongs to/,
    });
    await pg.query(`UPDATE terminal_keys SET revoked_at = now() WHERE terminal_id = $1`, [t.terminalId]);
    await central.running.keyCache.invalidate(t.terminalId);
    expect(await ackWith(s, { ...base, cursor, epoch })).toMatchObject({ ok: false, error: /no longer valid/ });
    expect([await ackedCursor(t.terminalId), await ackedCursor(other.terminalId)]).toEqual(before);
  });

  it("refuses the feed's epoch once the database is no longer where that epoch was given (restored, copied)", async () => {
    const t = await central.provisionTerminal();
    const { cursor, epoch } = await pulled(t);
    const s = await connect(t.key);
    const before = await ackedCursor(t.terminalId);
    const { rows } = await pg.query<{ fingerprint: string }>(`SELECT fingerprint FROM feed_identity WHERE id = 1`);
    // As a restore leaves it: the stored epoch unchanged until a pull notices the database moved.
    await pg.query(`UPDATE feed_identity SET fingerprint = 'elsewhere' WHERE id = 1`);
    try {
      const answer = await ackWith(s, { terminalId: t.terminalId, type: "INCREMENTAL", cursor, epoch });
      expect(answer).toMatchObject({ ok: false, error: /not a position/ });
      expect(await ackedCursor(t.terminalId)).toBe(before);
    } finally {
      await pg.query(`UPDATE feed_identity SET fingerprint = $1 WHERE id = 1`, [rows[0]!.fingerprint]);
    }
  });

  it("leaves an ack without a cursor (an older agent) as it was: the trigger acked, no cursor written", async () => {
    const t = await central.provisionTerminal();
    await pulled(t);
    const s = await connect(t.key);
    const before = await ackedCursor(t.terminalId);
    const acked = central.running.metrics.triggersAcked;
    const count = async () => (await acked.get()).values.reduce((n, v) => n + v.value, 0);
    const n = await count();
    s.emit("sync:ack", { terminalId: t.terminalId, type: "INCREMENTAL" });
    await waitFor(async () => (await count()) > n, { what: "the ack counted" });
    expect(await ackedCursor(t.terminalId)).toBe(before);
  });
});

describe("a central that does not take the cursor on sync:ack", () => {
  const off = useTestCentral("socket_ack_cursor_off", {}, { hub: { cursorOnAck: false } });

  it("says so in the register answer, and answers a cursor on sync:ack with 'acknowledge as before'", async () => {
    const t = await off.central.provisionTerminal();
    const s = io(off.central.url, {
      auth: { token: t.key },
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    open.push(s);
    await new Promise<void>((resolve) => s.once("connect", () => resolve()));
    const reg: unknown = await s.timeout(5_000).emitWithAck("terminal:register", { terminalId: t.terminalId });
    expect(registerAnswerSchema.parse(reg)).toMatchObject({ cursorOnAck: false, cursorAck: true });
    const epoch =
      (await off.pg.query<{ e: string }>(`SELECT epoch::text AS e FROM feed_identity`)).rows[0]?.e ?? randomUUID();
    const answer = await ackWith(s, { terminalId: t.terminalId, type: "INCREMENTAL", cursor: "0", epoch });
    expect(answer).toEqual({ ok: false });
  });
});
