/**
 * N terminals connected over socket.io to one central instance, each heartbeating once per
 * interval at its own random moment (as agents do: every 30 s, not in step): heartbeat latency
 * at that steady rate, and central's RSS with N sockets. Central runs in its own process.
 * Baseline, same run: GET /health at the same rate and schedule (the HTTP floor without
 * authentication or a database write). The two alternate in `slices` parts of each interval
 * (a sixth of the terminals heartbeat over a sixth of the interval, then as many /health
 * requests over as long, and so on), so both sides see the same minute of a shared machine: with
 * a whole interval of each, one side's p99 was set by whatever else ran in its 30 s. The order
 * within a pair of slices alternates (heartbeats first, then /health first, ...), so neither side
 * always inherits what the connecting phase or the slice before left behind.
 *
 * Each bench terminal acks a sync:trigger at once, as an agent does once it has synced. The
 * cluster's SERVER_RESTART round (2 s after central starts) finds the terminals provisioned by
 * then, a number that varies from run to run (44-236 seen); unacked, each of their triggers was a
 * delivery job polling Redis every 2 s and failing with a retry every ~16 s during the
 * measurement, in waves, in whichever slice they fell.
 *   npx tsx bench/heartbeats.ts [terminals=10000] [intervals=1] [intervalSeconds=30] [slices=6]
 */
import { writeFileSync } from "node:fs";
import http from "node:http";
import { io, type Socket } from "socket.io-client";
import { adminCall, cpuSeconds, createDatabase, fmt, onCleanup, rssMb, runBench, spawnCentral } from "./lib/bench-env";
import { reportFigure } from "./lib/bench-report";

const TERMINALS = Number(process.argv[2] ?? 10_000);
const INTERVALS = Number(process.argv[3] ?? 1);
const INTERVAL_MS = Number(process.argv[4] ?? 30) * 1000;
const SLICES = Math.max(1, Number(process.argv[5] ?? 6));

type Central = Awaited<ReturnType<typeof spawnCentral>>;
type Terminal = { id: string; key: string };

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function provision(central: Central): Promise<Terminal[]> {
  const call = <T>(method: string, p: string, body?: unknown) =>
    adminCall<T>(central.url, central.admin, method, p, body);
  const { store } = await call<{ store: { id: string } }>("POST", "/api/stores", { name: "heartbeats" });
  const terminals: Terminal[] = [];
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
  return terminals;
}

/** sync:triggers the bench terminals acked (see the header). */
let triggersAcked = 0;

/** Connects and registers every terminal, 200 handshakes at a time. */
async function connectAll(central: Central, terminals: Terminal[], sockets: Socket[]): Promise<void> {
  for (let i = 0; i < terminals.length; i += 200) {
    await Promise.all(
      terminals.slice(i, i + 200).map(
        (t) =>
          new Promise<void>((resolve, reject) => {
            const s = io(central.url, {
              auth: { token: t.key },
              transports: ["websocket"],
              reconnection: false,
              forceNew: true,
            });
            sockets.push(s);
            s.on("sync:trigger", (trigger: { type: string; timestamp: string }) => {
              triggersAcked++;
              s.emit("sync:ack", { terminalId: t.id, type: trigger.type, timestamp: trigger.timestamp });
            });
            s.once("connect", () => {
              s.emit("terminal:register", { terminalId: t.id });
              resolve();
            });
            s.once("connect_error", reject);
          }),
      ),
    );
  }
}

/**
 * BENCH_HB_TRACE=<file>: every request's side, start (epoch ms) and latency written there at the
 * end, to match the slow ones with what central did at that moment (GC, stalls, a profile).
 */
const TRACE = process.env.BENCH_HB_TRACE;
const traced: Array<[side: string, startMs: number, ms: number]> = [];

/** Every terminal does `fn` once at a random moment of `windowMs`; the latencies, sorted. */
async function spread(
  terminals: Terminal[],
  fn: (t: Terminal) => Promise<unknown>,
  windowMs: number,
  side: string,
): Promise<number[]> {
  const lat: number[] = [];
  await Promise.all(
    terminals.map(
      (t) =>
        new Promise<void>((resolve, reject) => {
          setTimeout(() => {
            const t0 = performance.now();
            fn(t).then(() => {
              const ms = performance.now() - t0;
              lat.push(ms);
              if (TRACE) traced.push([side, performance.timeOrigin + t0, ms]);
              resolve();
            }, reject);
          }, Math.random() * windowMs);
        }),
    ),
  );
  return lat.sort((a, b) => a - b);
}

/**
 * Keep-alive connections shared by both sides of the comparison, at most 256 (ten thousand
 * tills are ten thousand hosts; one client process opening one connection per request would
 * run out of ports in TIME_WAIT first).
 */
const pool = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method, headers: init.headers, agent: pool }, (res) => {
      res.resume();
      res.on("end", () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`${init.method} ${url}: ${res.statusCode}`)),
      );
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

async function measure(central: Central, terminals: Terminal[]): Promise<void> {
  // Each terminal's request built before the clock starts: the bench process's own work per
  // request (and its garbage) is then about the same for both sides.
  const beats = new Map(
    terminals.map((t) => [
      t,
      {
        method: "POST",
        headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
        body: JSON.stringify({
          terminalId: t.id,
          status: "idle",
          outbox: { sale_orders: { pending: 2, failed: 0, synced: 40, conflicts: 0 } },
        }),
      },
    ]),
  );
  const beatUrl = `${central.url}/api/sync/heartbeat`;
  const beat = (t: Terminal) => request(beatUrl, beats.get(t)!);
  const health = () => request(`${central.url}/health`, { method: "GET" });
  const lat: number[] = [];
  const base: number[] = [];
  // Central's CPU seconds spent in the heartbeat slices and in the /health ones.
  const cpu = { beat: 0, health: 0 };
  const timed = async (side: keyof typeof cpu, run: () => Promise<number[]>) => {
    const c0 = cpuSeconds(central.child.pid);
    const l = await run();
    cpu[side] += cpuSeconds(central.child.pid) - c0;
    return l;
  };
  let peak = rssMb(central.child.pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(central.child.pid))), 500);
  try {
    for (let n = 0; n < INTERVALS; n++)
      for (let k = 0; k < SLICES; k++) {
        // The same rate on both sides: a slice's terminals over a slice of the interval.
        const part = terminals.filter((_, i) => i % SLICES === k);
        const beatSlice = () => timed("beat", () => spread(part, beat, INTERVAL_MS / SLICES, "beat"));
        const healthSlice = () => timed("health", () => spread(part, health, INTERVAL_MS / SLICES, "health"));
        // Heartbeats first in one pair of slices, /health first in the next.
        if ((n * SLICES + k) % 2 === 0) {
          lat.push(...(await beatSlice()));
          base.push(...(await healthSlice()));
        } else {
          base.push(...(await healthSlice()));
          lat.push(...(await beatSlice()));
        }
      }
  } finally {
    clearInterval(sampler);
    if (TRACE) writeFileSync(TRACE, traced.map((r) => r.join(" ")).join("\n") + "\n");
  }
  report(lat, base, peak, cpu);
}

/** The figures: printed, and reported to the runner. */
function report(lat: number[], base: number[], peak: number, cpu: { beat: number; health: number }): void {
  lat.sort((a, b) => a - b);
  base.sort((a, b) => a - b);
  const rate = (TERMINALS / INTERVAL_MS) * 1000;
  console.log(
    `heartbeats, ${TERMINALS} terminals connected, each once per ${INTERVAL_MS / 1000} s (${fmt(rate)}/s) × ${INTERVALS}: ` +
      `latency p50 ${fmt(pct(lat, 50))} ms, p99 ${fmt(pct(lat, 99))} ms; baseline GET /health same rate p50 ${fmt(pct(base, 50))} ms, p99 ${fmt(pct(base, 99))} ms ` +
      `(ratio p99 ${(pct(lat, 99) / pct(base, 99)).toFixed(2)}×, target ≤ 2×; alternating in ${SLICES} slices); central RSS peak ${fmt(peak)} MB; ` +
      `central CPU s: heartbeats ${cpu.beat.toFixed(2)}, /health ${cpu.health.toFixed(2)}; sync:triggers acked ${triggersAcked}`,
  );
  reportFigure({
    bench: "heartbeats",
    figure: `${TERMINALS} sockets heartbeating every ${INTERVAL_MS / 1000} s, latency p99 (baseline: GET /health, same rate)`,
    value: pct(lat, 99),
    unit: "ms",
    baseline: pct(base, 99),
    target: "≤ 2× baseline",
    met: pct(lat, 99) <= 2 * pct(base, 99),
  });
  reportFigure({
    bench: "heartbeats",
    figure: `central peak RSS with ${TERMINALS} sockets`,
    value: peak,
    unit: "MB",
    baseline: null,
    target: "—",
    met: null,
  });
}

async function main(): Promise<void> {
  const db = await createDatabase("hb");
  const central = await spawnCentral(db.url);
  const sockets: Socket[] = [];
  onCleanup(() => sockets.forEach((s) => s.disconnect()));
  const terminals = await provision(central);
  const c0 = performance.now();
  await connectAll(central, terminals, sockets);
  console.log(
    `${TERMINALS} sockets connected in ${fmt(performance.now() - c0)} ms; central RSS ${fmt(rssMb(central.child.pid))} MB; ` +
      `sync:triggers acked so far ${triggersAcked}`,
  );
  await measure(central, terminals);
}

runBench("heartbeats", main);
