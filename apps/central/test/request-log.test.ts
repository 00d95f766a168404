import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import express from "express";
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from "@tillsync/shared";
import { protocolGate } from "../src/http/protocol-gate";
import { createLogger } from "../src/observability/logger";
import { requestLog } from "../src/observability/request-log";

/** An app with the request log and the protocol gate, its log lines, and one request. */
async function oneRequest(level: string): Promise<{ lines: Array<Record<string, unknown>>; id: string | null }> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const app = express();
  app.use(requestLog(createLogger(level, {}, sink)));
  // Registered after the request log's own listener, so this one runs after it: the line is out by then.
  let finished!: Promise<void>;
  app.use((_req, res, next) => {
    finished = new Promise((r) => res.on("finish", () => r()));
    next();
  });
  app.use(protocolGate());
  app.get("/x", (_req, res) => void res.json({ ok: true }));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, {
      headers: { [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) },
    });
    await res.json();
    await finished;
    return { lines: lines.filter((l) => l.msg === "request"), id: res.headers.get("x-request-id") };
  } finally {
    server.close();
  }
}

describe("request log", () => {
  it("writes one line per request at info, with the request id and the protocol", async () => {
    const { lines, id } = await oneRequest("info");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toEqual([
      expect.objectContaining({ reqId: id, protocol: PROTOCOL_VERSION, method: "GET", path: "/x", status: 200 }),
    ]);
  });

  it("still gives the request its id above info, and writes no line (nor builds one)", async () => {
    const { lines, id } = await oneRequest("warn");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toEqual([]);
  });
});
