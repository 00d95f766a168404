import http from "node:http";
import type { AddressInfo } from "node:net";
import { CentralServerError, CentralUnreachableError, START_CURSOR, SyncTimeoutError } from "@tillsync/shared";
import { httpRequest } from "../src/transport/http-request";
import { HttpCentralTransport } from "../src/transport/http-transport";

/** The transport's three clocks and its error mapping, against a local HTTP server. */
describe("HTTP transport timeouts and errors", () => {
  let server: http.Server;
  let behaviour: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => undefined;
  const open = new Set<http.ServerResponse>();
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      open.add(res);
      res.on("close", () => open.delete(res));
      behaviour(req, res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });

  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    for (const res of open) res.destroy();
    await new Promise((r) => server.close(r));
  });

  const transport = (timeouts: { readMs?: number; totalMs?: number }, port = (server.address() as AddressInfo).port) =>
    new HttpCentralTransport({
      baseUrl: `http://127.0.0.1:${port}`,
      key: "tsk_test_key_123",
      terminalId: "4b1e9c1e-3f1a-4c7e-9d1b-2f3a4b5c6d7e",
      timeoutMs: timeouts.totalMs ?? 30_000,
      timeouts: { readMs: timeouts.readMs },
    });

  it("gives up on a central that accepts the request and then says nothing (read timeout)", async () => {
    behaviour = () => undefined;
    await expect(transport({ readMs: 100 }).pull(START_CURSOR, 10)).rejects.toThrow(SyncTimeoutError);
    await expect(transport({ readMs: 100 }).pull(START_CURSOR, 10)).rejects.toThrow(/sent nothing for 100 ms/);
  });

  it("gives up on an answer that trickles past SYNC_TIMEOUT (total timeout)", async () => {
    behaviour = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      timers.push(setInterval(() => res.write(" "), 20));
    };
    await expect(transport({ readMs: 10_000, totalMs: 200 }).pull(START_CURSOR, 10)).rejects.toThrow(
      /took longer than 200 ms/,
    );
  });

  it("maps refused connections and 5xx to retryable errors", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = transport({}, port).pull(START_CURSOR, 10);
    await expect(refused).rejects.toThrow(CentralUnreachableError);
    behaviour = (_req, res) => res.writeHead(503).end("down");
    const err = await transport({})
      .pull(START_CURSOR, 10)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CentralServerError);
    expect((err as CentralServerError).retryable).toBe(true);
  });
});

/**
 * Central closes an idle keep-alive socket just as the agent writes its next request to it
 * (the bench's "socket hang up"): the request never reached central and must not fail.
 */
describe("HTTP transport on a keep-alive socket central has dropped", () => {
  let server: http.Server;
  let connections = 0;

  beforeAll(async () => {
    const served = new WeakMap<object, number>();
    server = http.createServer((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) return void req.socket.destroy();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
    });
    server.on("connection", () => connections++);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("sends the request again on a fresh socket and gets its answer", async () => {
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/sync/status`);
    const t = { connectMs: 2_000, readMs: 2_000, totalMs: 5_000 };
    expect((await httpRequest(url, "GET", {}, undefined, t)).status).toBe(200);
    expect((await httpRequest(url, "GET", {}, undefined, t)).status).toBe(200);
    expect(connections).toBe(2);
  });

  it("still fails a request whose fresh connection is dropped too", async () => {
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/sync/status`);
    const t = { connectMs: 2_000, readMs: 2_000, totalMs: 5_000 };
    await httpRequest(url, "GET", {}, undefined, t);
    server.removeAllListeners("request");
    server.on("request", (req: http.IncomingMessage) => req.socket.destroy());
    await expect(httpRequest(url, "GET", {}, undefined, t)).rejects.toThrow(CentralUnreachableError);
  });
});
