import http from "node:http";
import { connectTestSocket, TerminalClient, waitFor, type TestSocket } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

/**
 * Terminal keys (G8): a rotation may keep the old key working for a grace period, after which
 * it gets 401 and its sockets are dropped (a delayed job, so any instance does it, also after
 * a restart); repeated failed authentication from one address is slowed down with 429 while
 * other addresses, and valid keys, are unaffected.
 */
const { central, pg } = useTestCentral(
  "keys",
  {},
  { hub: { authFailureBurst: 3, authFailureWindowS: 60, authBlockS: 30 } },
);

const sockets: TestSocket[] = [];
afterAll(() => {
  for (const s of sockets) s.close();
});

/** GET /api/sync/pull with a key, from a given loopback address. */
function pullFrom(address: string, key: string): Promise<{ status: number; retryAfter?: string; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${central.url}/api/sync/pull`,
      { localAddress: address, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers["retry-after"] as string | undefined,
            code: (JSON.parse(text) as { error?: { code?: string } }).error?.code,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("key rotation with a grace period", () => {
  it("keeps the old key working until the grace ends, then answers 401 and drops its sockets", async () => {
    const t = await central.provisionTerminal();
    const old = new TerminalClient(central.url, t.terminalId, t.key);
    const oldSocket = connectTestSocket(central.url, t);
    sockets.push(oldSocket);
    await oldSocket.ready;
    const r = await central.admin<{ key: string; previousKeyValidUntil: string }>(
      "POST",
      `/api/terminals/${t.terminalId}/rotate-key`,
      { graceSeconds: 2 },
    );
    expect(r.status).toBe(200);
    const until = Date.parse(r.body.previousKeyValidUntil);
    expect(until).toBeGreaterThan(Date.now());
    // During the grace period both keys work, and the old key's socket stays.
    expect((await old.raw("GET", "/api/sync/pull")).status).toBe(200);
    expect((await old.raw("GET", "/api/sync/pull", undefined, r.body.key)).status).toBe(200);
    expect(oldSocket.socket.connected).toBe(true);
    const newSocket = connectTestSocket(central.url, { terminalId: t.terminalId, key: r.body.key });
    sockets.push(newSocket);
    await newSocket.ready;

    await waitFor(async () => (await old.raw("GET", "/api/sync/pull")).status === 401, {
      what: "old key refused after the grace period",
      timeoutMs: 10_000,
    });
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    await waitFor(() => !oldSocket.socket.connected, { what: "old key's socket dropped", timeoutMs: 10_000 });
    expect(newSocket.socket.connected).toBe(true);
    expect((await old.raw("GET", "/api/sync/pull", undefined, r.body.key)).status).toBe(200);
    const refused = connectTestSocket(central.url, t);
    sockets.push(refused);
    await expect(refused.ready).rejects.toThrow(/past its grace period/);
  });

  it("with graceSeconds 0 (the default) the old key stops at once", async () => {
    const t = await central.provisionTerminal();
    const r = await central.admin<{ key: string; previousKeyValidUntil: string | null }>(
      "POST",
      `/api/terminals/${t.terminalId}/rotate-key`,
    );
    expect(r.body.previousKeyValidUntil).toBeNull();
    const old = new TerminalClient(central.url, t.terminalId, t.key);
    expect((await old.raw("GET", "/api/sync/pull")).status).toBe(401);
    const keys = await pg.query(`SELECT revoked_at IS NOT NULL AS revoked FROM terminal_keys WHERE terminal_id = $1`, [
      t.terminalId,
    ]);
    expect(keys.rows.map((k) => k.revoked).sort()).toEqual([false, true]);
  });

  it("refuses to rotate a disabled terminal's key (409)", async () => {
    const t = await central.provisionTerminal();
    await central.admin("POST", `/api/terminals/${t.terminalId}/disable`, {});
    expect((await central.admin("POST", `/api/terminals/${t.terminalId}/rotate-key`, {})).status).toBe(409);
  });
});

describe("failed authentication is slowed down per address", () => {
  it("answers 429 with Retry-After after a burst from one address; other addresses and valid keys are unaffected", async () => {
    const t = await central.provisionTerminal();
    const bad = "tsk_not-this-terminals-key-at-all";
    for (let i = 0; i < 3; i++) expect((await pullFrom("127.0.0.2", bad)).status).toBe(401);
    const limited = await pullFrom("127.0.0.2", bad);
    expect(limited).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    // Another address is not slowed down, and a valid key from the throttled one still works.
    expect((await pullFrom("127.0.0.3", bad)).status).toBe(401);
    expect((await pullFrom("127.0.0.2", t.key)).status).toBe(200);
    // Socket handshakes count like HTTP: once 127.0.0.1 is over the burst, a bad handshake is refused as such.
    for (let i = 0; i < 3; i++) await pullFrom("127.0.0.1", bad);
    const s = connectTestSocket(central.url, { terminalId: t.terminalId, key: bad });
    sockets.push(s);
    await expect(s.ready).rejects.toThrow(/too many failed authentications from this address; wait \d+ s/);
    const good = connectTestSocket(central.url, t);
    sockets.push(good);
    await good.ready;
  });

  it("keeps the count in Redis, so every instance of the cluster sees it", async () => {
    const other = await central.startInstance();
    try {
      const url = `http://127.0.0.1:${other.port}`;
      const res = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${url}/api/sync/pull`,
          { localAddress: "127.0.0.2", headers: { authorization: "Bearer tsk_still-not-a-key" } },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(res).toBe(429);
    } finally {
      await other.stop();
    }
  });
});
