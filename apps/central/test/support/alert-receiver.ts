import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export interface ReceivedAlert {
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent (the signature covers these bytes). */
  raw: string;
  body: { id: string; type: string; terminalId: string | null; details: Record<string, unknown>; message: string };
}

export interface AlertReceiver {
  url: string;
  received: ReceivedAlert[];
  /** Answer the next `n` POSTs with this status instead of 204 (a webhook that is down). */
  fail(n: number, status?: number): void;
  /** Hold answers until release() (a webhook that hangs). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

/** A local HTTP server standing in for the operator's webhook: records every POST it gets. */
export async function startAlertReceiver(): Promise<AlertReceiver> {
  const received: ReceivedAlert[] = [];
  let failures = 0;
  let failStatus = 500;
  let held: Array<() => void> | undefined;
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (raw += c));
    req.on("end", () => {
      const answer = () => {
        if (failures > 0) {
          failures--;
          res.writeHead(failStatus).end();
          return;
        }
        received.push({ headers: req.headers, raw, body: JSON.parse(raw) as ReceivedAlert["body"] });
        res.writeHead(204).end();
      };
      if (held) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    fail(n, status = 500) {
      failures = n;
      failStatus = status;
    },
    hold() {
      held = [];
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const a of waiting) a();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
