import { io, type Socket } from "socket.io-client";
import { connectTestSocket, waitFor } from "@tillsync/testkit";
import { useTestCentral } from "../testing";
import { dataChecksum, expectHealthy, long } from "./support/hostile";

/**
 * Hostile socket.io clients: handshakes with every kind of bad token are refused with
 * UNAUTHORIZED (never an error of central's own), and a connected terminal that sends
 * malformed or foreign events is ignored or disconnected. Nothing changes; central still
 * answers /health. One central for the file.
 */
const { central, pg } = useTestCentral("hostile_socket", {}, { hub: { authFailureBurst: 1000 } });

let creds: { terminalId: string; key: string };
let other: { terminalId: string; key: string };
const open: Socket[] = [];

beforeAll(async () => {
  creds = await central.provisionTerminal();
  other = await central.provisionTerminal();
});

afterEach(() => {
  for (const s of open.splice(0)) s.disconnect();
});

function connect(auth: unknown): Socket {
  const s = io(central.url, {
    auth: auth as Record<string, unknown>,
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  open.push(s);
  return s;
}

/** Resolves with the refusal's code and message, or "connected". */
function outcome(s: Socket): Promise<{ code?: string; message: string } | "connected"> {
  return new Promise((resolve) => {
    s.once("connect", () => resolve("connected"));
    s.once("connect_error", (err: Error & { data?: { code?: string } }) =>
      resolve({ code: err.data?.code, message: err.message }),
    );
  });
}

const handshakes: Array<{ name: string; auth: () => unknown; message: RegExp }> = [
  { name: "no auth at all", auth: () => undefined, message: /auth: \{ token/ },
  { name: "an empty token", auth: () => ({ token: "" }), message: /auth: \{ token/ },
  { name: "a number as token", auth: () => ({ token: 42 }), message: /auth: \{ token/ },
  { name: "an object as token", auth: () => ({ token: { $ne: null } }), message: /auth: \{ token/ },
  { name: "an array as token", auth: () => ({ token: [creds.key] }), message: /auth: \{ token/ },
  { name: "a 100 kB token", auth: () => ({ token: long(100_000) }), message: /auth: \{ token/ },
  { name: "an unknown key", auth: () => ({ token: "tsk_nobody-has-this-key-at-all" }), message: /unknown, revoked/ },
  { name: "a key with NUL", auth: () => ({ token: `${creds.key}\u0000` }), message: /unknown, revoked/ },
  { name: "the admin token", auth: () => ({ token: central.adminToken }), message: /unknown, revoked/ },
  { name: "the key under another name", auth: () => ({ key: creds.key }), message: /auth: \{ token/ },
];

describe("socket handshake: bad credentials are refused as UNAUTHORIZED, and nothing changes", () => {
  it.each(handshakes)("$name", async ({ auth, message }) => {
    const before = await dataChecksum(pg);
    const r = await outcome(connect(auth()));
    expect(r).not.toBe("connected");
    expect(r).toMatchObject({ code: "UNAUTHORIZED" });
    expect((r as { message: string }).message).toMatch(message);
    expect(await dataChecksum(pg)).toEqual(before);
    await expectHealthy(central.url);
  });
});

const events: Array<{ name: string; send: (s: Socket) => void; dropped: boolean }> = [
  {
    name: "terminal:register for another terminal",
    send: (s) => s.emit("terminal:register", { terminalId: other.terminalId }),
    dropped: true,
  },
  { name: "terminal:register without a terminal id", send: (s) => s.emit("terminal:register", {}), dropped: true },
  { name: "terminal:register with a string payload", send: (s) => s.emit("terminal:register", "me"), dropped: true },
  {
    name: "sync:ack for another terminal",
    send: (s) => s.emit("sync:ack", { terminalId: other.terminalId, type: "FULL" }),
    dropped: false,
  },
  {
    name: "sync:ack with a junk type",
    send: (s) => s.emit("sync:ack", { terminalId: creds.terminalId, type: "ALL" }),
    dropped: false,
  },
  { name: "sync:ack with no payload", send: (s) => s.emit("sync:ack"), dropped: false },
  { name: "an event central does not know", send: (s) => s.emit("sync:push", { changes: [] }), dropped: false },
  {
    name: "a payload beyond the socket's size limit",
    send: (s) => s.emit("sync:ack", { pad: long(2 * 1024 * 1024) }),
    dropped: true,
  },
];

describe("socket events: malformed or foreign events are ignored or end the socket, and nothing changes", () => {
  it.each(events)("$name", async ({ send, dropped }) => {
    const before = await dataChecksum(pg);
    const s = connect({ token: creds.key });
    expect(await outcome(s)).toBe("connected");
    const gone = new Promise<string>((resolve) => s.once("disconnect", (reason) => resolve(reason)));
    send(s);
    if (dropped) expect(await gone).toMatch(/io server disconnect|transport close|transport error/);
    else {
      // Still served: a round trip after the bad event proves the socket stayed up.
      const ok = connectTestSocket(central.url, creds);
      await ok.ready;
      ok.close();
      expect(s.connected).toBe(true);
    }
    expect(await dataChecksum(pg)).toEqual(before);
    await expectHealthy(central.url);
  });

  it("still accepts the terminal's real key afterwards", async () => {
    const s = connectTestSocket(central.url, creds);
    await s.ready;
    await waitFor(() => s.socket.connected, { what: "connected" });
    s.close();
  });
});
