import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { createTestAgent, type TestAgent } from "../testing";

/**
 * The snapshot is believed no more than a pull (a fake central, a real HTTP server): a
 * malformed line stops the bootstrap with a protocol error before its batch is written, and
 * no cursor, epoch or bootstrap mark is stored; a central without the endpoint (404) is
 * bootstrapped by replaying the feed from cursor 0.
 */

type SnapshotAnswer = { status: number; lines?: unknown[]; body?: unknown };

let server: Server;
let url: string;
let snapshot: SnapshotAnswer;
let pulls: string[] = [];
let pullPage: unknown;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [p, q] = (req.url ?? "").split("?") as [string, string | undefined];
    req.resume();
    if (p === "/api/sync/snapshot") {
      if (snapshot.lines) {
        res.writeHead(snapshot.status, { "content-type": "application/x-ndjson" });
        res.end(snapshot.lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n");
      } else {
        res.writeHead(snapshot.status, { "content-type": "application/json" });
        res.end(JSON.stringify(snapshot.body));
      }
      return;
    }
    if (p === "/api/sync/pull") pulls.push(new URLSearchParams(q).get("since") ?? "");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(p === "/api/sync/pull" ? pullPage : { ok: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const epoch = randomUUID();
const header = { type: "header", epoch, cursor: "42", tables: ["products", "inventory_items"] };
const product = (over: Record<string, unknown> = {}) => {
  const id = randomUUID();
  return {
    type: "row",
    entityType: "products",
    version: 1,
    data: { id, sku: `S-${id}`, name: "p", price_cents: 100, tax_rate_bp: 0, active: true, version: 1, ...over },
  };
};
const end = (rows: number) => ({ type: "end", epoch, cursor: "42", rows });

let agent: TestAgent;
beforeEach(() => {
  pulls = [];
  pullPage = { changes: [], nextCursor: "42", hasMore: false, epoch };
  agent = createTestAgent(url, { terminalId: randomUUID(), key: "k".repeat(40) }, { ALLOW_INSECURE_HTTP: true });
});
afterEach(async () => {
  await agent.destroy();
});

function localState(a: TestAgent) {
  return {
    products: a.db.prepare(`SELECT count(*) AS n FROM products`).get(),
    state: a.db.prepare(`SELECT key FROM sync_state WHERE key IN ('cursor', 'feed_epoch', 'snapshot_bootstrap')`).all(),
    outbox: a.db.prepare(`SELECT count(*) AS n FROM outbox`).get(),
  };
}

const nothing = { products: { n: 0 }, state: [], outbox: { n: 0 } };

describe("a snapshot the agent refuses", () => {
  const cases: Array<[string, unknown[], RegExp]> = [
    ["a price below zero", [header, product(), product({ price_cents: -5 }), end(2)], /price_cents/],
    ["a row without an id", [header, product({ id: undefined }), end(1)], /id/],
    ["an id that is not the row's UUID", [header, product({ id: "nope" }), end(1)], /UUID/],
    ["a table central never sends", [header, { ...product(), entityType: "sale_orders" }, end(1)], /sale_orders/],
    ["a row before the header", [product(), header, end(1)], /before the header/],
    ["a stream without its end line", [header, product(), product()], /without its end line/],
    ["an end line that miscounts", [header, product(), end(2)], /counts 2 row/],
    ["a line that is not JSON", [header, "{not json", end(0)], /not JSON/],
  ];
  it.each(cases)("%s: the cycle fails with a protocol error and changes nothing", async (_what, lines, message) => {
    snapshot = { status: 200, lines };
    const r = await agent.engine.runCycle();
    expect(r.error).toMatch(/snapshot protocol/);
    expect(r.error).toMatch(message);
    expect(localState(agent)).toEqual(nothing);
    expect(pulls).toEqual([]);
  });

  it("accepts the same stream when it is well formed, and continues the feed after its cursor", async () => {
    snapshot = { status: 200, lines: [header, product(), product(), end(2)] };
    const r = await agent.engine.runCycle();
    expect(r.error).toBeUndefined();
    expect(r.pulled).toBe(2);
    expect(localState(agent).products).toEqual({ n: 2 });
    expect(pulls).toEqual(["42"]);
  });
});

describe("a central without the snapshot endpoint", () => {
  it("answers 404: the agent replays the feed from cursor 0 instead", async () => {
    snapshot = { status: 404, body: { error: { code: "NOT_FOUND", message: "no route", retryable: false } } };
    const p = product();
    pullPage = {
      changes: [{ entityType: "products", entityId: p.data.id, operation: "UPSERT", data: p.data, version: 1 }],
      nextCursor: "7",
      hasMore: false,
      epoch,
    };
    const r = await agent.engine.runCycle();
    expect(r.error).toBeUndefined();
    expect(pulls).toEqual(["0"]);
    expect(localState(agent).products).toEqual({ n: 1 });
    expect(agent.db.prepare(`SELECT value FROM sync_state WHERE key = 'cursor'`).get()).toEqual({ value: "7" });
  });
});
