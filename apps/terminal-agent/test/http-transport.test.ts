import http from "node:http";
import type { AddressInfo } from "node:net";
import { CentralServerError, CentralUnreachableError, START_CURSOR, SyncTimeoutError } from "@tillsync/shared";
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
