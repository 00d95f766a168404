/**
 * 1,000 terminals connected over socket.io and heartbeating: connect time, heartbeat latency
 * under a burst of every terminal at once, and the status/terminal list an operator reads.
 * Central runs in its own process. Baseline, same run: GET /health round trips at the same
 * concurrency (the HTTP floor without authentication or a database write).
 *   npx tsx bench/heartbeats.ts [terminals=1000] [rounds=5]
 */
import { io, type Socket } from "socket.io-client";
import { adminCall, createDatabase, fmt, runBench, spawnCentral } from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";

const TERMINALS = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 5);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const db = await createDatabase("hb");
  const central = await spawnCentral(db.url);
  const call = <T>(method: string, p: string, body?: unknown) =>
    adminCall<T>(central.url, central.admin, method, p, body);
  const { store } = await call<{ store: { id: string } }>("POST", "/api/stores", { name: "heartbeats" });
  const terminals: Array<{ id: string; key: string }> = [];
  for (let i = 0; i < TERMINALS; i += 50) {
    const made = await Promise.all(
      Array.from({ length: Math.min(50, TERMINALS - i) }, (_, j) =>
        call<{ terminal: { id: string }; key: string }>("POST", "/api/terminals", {
          name: `till ${i + j}`,
          storeId: store.id,
        }),
      ),
    );
    terminals.push(...made.map((m) => ({ id: m.terminal.id, key: m.key })));
  }

  const c0 = performance.now();
  const sockets: Socket[] = await Promise.all(
    terminals.map(
      (t) =>
        new Promise<Socket>((resolve, reject) => {
          const s = io(central.url, {
            auth: { token: t.key },
            transports: ["websocket"],
            reconnection: false,
            forceNew: true,
          });
          s.once("connect", () => {
            s.emit("terminal:register", { terminalId: t.id });
            resolve(s);
          });
          s.once("connect_error", reject);
        }),
    ),
  );
  const connectMs = performance.now() - c0;
  console.log(`${TERMINALS} sockets connected in ${fmt(connectMs)} ms`);

  const beat = (t: { id: string; key: string }) =>
    fetch(`${central.url}/api/sync/heartbeat`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        terminalId: t.id,
        status: "idle",
        outbox: { sale_orders: { pending: 2, failed: 0, synced: 40, conflicts: 0 } },
      }),
    }).then((r) => {
      if (!r.ok) throw new Error(`heartbeat ${r.status}`);
      return r.arrayBuffer();
    });
  const lat: number[] = [];
  const base: number[] = [];
  const burst: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    burst.push(await timed(() => Promise.all(terminals.map(async (t) => lat.push(await timed(() => beat(t)))))));
    await Promise.all(
      terminals.map(async () =>
        base.push(await timed(() => fetch(`${central.url}/health`).then((r) => r.arrayBuffer()))),
      ),
    );
  }
  lat.sort((a, b) => a - b);
  base.sort((a, b) => a - b);
  burst.sort((a, b) => a - b);
  const status = await timed(() => call("GET", "/api/sync/status"));
  const list = await timed(() => call("GET", "/api/terminals"));
  console.log(
    `heartbeats, ${TERMINALS} terminals all at once × ${ROUNDS}: burst ${fmt(pct(burst, 50))} ms (${fmt((TERMINALS / pct(burst, 50)) * 1000)}/s), ` +
      `latency p50 ${fmt(pct(lat, 50))} ms, p99 ${fmt(pct(lat, 99))} ms; baseline GET /health same concurrency p50 ${fmt(pct(base, 50))} ms, p99 ${fmt(pct(base, 99))} ms; ` +
      `GET /api/sync/status ${fmt(status)} ms, GET /api/terminals ${fmt(list)} ms`,
  );
  reportFigure({
    bench: "heartbeats",
    figure: `${TERMINALS} heartbeats at once, latency p99 (baseline: GET /health)`,
    value: pct(lat, 99),
    unit: "ms",
    baseline: pct(base, 99),
    target: "—",
    met: null,
  });
  for (const s of sockets) s.disconnect();
  central.stop();
  await new Promise((r) => setTimeout(r, 500));
  await db.drop();
}

runBench("heartbeats", main);
