import http from "node:http";
import type { AddressInfo } from "node:net";
import type { CycleReport } from "../sync/engine-options";
import type { AgentStatusReport } from "./agent-status";
import { formatMetrics } from "./agent-metrics";

export interface StatusSource {
  status(): AgentStatusReport;
  cyclesTotal(): number;
  /** Runs one cycle now (POST /sync); resolves with what moved. */
  syncNow(): Promise<CycleReport>;
}

/** POST /sync while SYNC_ENABLED=false: answered 409, nothing is sent. */
export class SyncDisabledError extends Error {
  constructor() {
    super("sync is disabled on this terminal (SYNC_ENABLED=false)");
  }
}

export interface StatusServer {
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

const json = (res: http.ServerResponse, status: number, body: unknown) =>
  send(res, status, "application/json; charset=utf-8", `${JSON.stringify(body)}\n`);

/**
 * The local status endpoint for the till software (AGENT_HTTP_PORT, off by default): it binds
 * 127.0.0.1 only, so nothing off the machine can read the till's state or trigger a sync. No
 * token: anyone on the machine can already read the SQLite file.
 */
export async function startStatusServer(port: number, source: StatusSource): Promise<StatusServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = `${req.method} ${url.pathname}`;
    try {
      if (route === "GET /status") return json(res, 200, source.status());
      if (route === "GET /metrics")
        return send(res, 200, "text/plain; version=0.0.4", formatMetrics(source.status(), source.cyclesTotal()));
      if (route === "POST /sync") {
        void source.syncNow().then(
          (r) => json(res, r.error && !r.held ? 502 : 200, r),
          (err: Error) => json(res, err instanceof SyncDisabledError ? 409 : 500, { error: err.message }),
        );
        return;
      }
      const known = ["/status", "/metrics", "/sync"].includes(url.pathname);
      if (known) return json(res, 405, { error: `${req.method} is not allowed on ${url.pathname}` });
      return json(res, 404, { error: `no route ${url.pathname}; try GET /status, GET /metrics or POST /sync` });
    } catch (err) {
      // The database is the only thing that can fail here (a locked or removed file).
      return json(res, 503, { error: (err as Error).message });
    }
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
