import type { IncomingMessage, ServerResponse } from "node:http";
import { waitFor } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

/**
 * Central's HTTP server makes its requests and responses with the app's prototypes
 * (http/express-request-classes.ts), so Express's per-request Object.setPrototypeOf changes
 * nothing: a request whose prototype changed after it was made kept its garbage alive through
 * scavenges (bench/README.md, "Heartbeats, round 6").
 */
describe("requests made with the app's prototypes", () => {
  const { central } = useTestCentral("reqclasses");

  it("arrive with Express's request and response methods, and Express leaves their prototypes as they are", async () => {
    const server = central.running.server;
    const seen: Array<{ path: string; before: [object, object]; after?: [object, object] }> = [];
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      const entry: (typeof seen)[number] = {
        path: req.url ?? "",
        before: [Object.getPrototypeOf(req) as object, Object.getPrototypeOf(res) as object],
      };
      seen.push(entry);
      res.on(
        "finish",
        () => (entry.after = [Object.getPrototypeOf(req) as object, Object.getPrototypeOf(res) as object]),
      );
    };
    server.prependListener("request", listener);
    try {
      const t = await central.provisionTerminal();
      const health = await fetch(`${central.url}/health`);
      expect(health.status).toBe(200);
      const beat = await fetch(`${central.url}/api/sync/heartbeat`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
        body: JSON.stringify({ terminalId: t.terminalId, status: "idle", outbox: {} }),
      });
      expect(beat.status).toBe(200);
      expect(await beat.json()).toEqual({ ok: true });
      await waitFor(() => seen.filter((s) => s.after).length >= 3);
    } finally {
      server.removeListener("request", listener);
    }
    for (const s of seen) {
      const [req, res] = s.before as [Record<string, unknown>, Record<string, unknown>];
      // Express's own members, there before Express saw the request.
      expect(typeof req.get).toBe("function");
      expect(typeof res.json).toBe("function");
      expect(req.app).toBeDefined();
      expect(res.app).toBe(req.app);
      expect(s.after).toEqual(s.before);
      expect(s.after![0]).toBe(s.before[0]);
      expect(s.after![1]).toBe(s.before[1]);
    }
    expect(seen.map((s) => s.path)).toEqual(
      expect.arrayContaining(["/health", "/api/sync/heartbeat", "/api/terminals"]),
    );
  });
});
