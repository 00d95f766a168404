import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { PushRequest } from "@tillsync/shared";
import { createTestAgent, type TestAgent } from "../testing";

/**
 * The agent distrusts central as central distrusts it (G6, G8): a fake central, a real HTTP
 * server in this test, answers lies. Each lie is a protocol error: the cycle fails with one
 * line saying what central got wrong, nothing is marked SYNCED or stored on its word (outbox,
 * local tables and cursor unchanged, no acknowledge sent), and the engine backs off.
 */

type Answer = { status?: number; body: unknown };
type Lie = (req: { path: string; body: PushRequest | undefined }) => Answer;

let server: Server;
let url: string;
let lie: Lie;
const acknowledged: unknown[] = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = (req.url ?? "").split("?")[0]!;
      if (path === "/api/sync/acknowledge") acknowledged.push(JSON.parse(text));
      const answer: Answer =
        path === "/api/sync/push" || path === "/api/sync/pull"
          ? lie({ path, body: text ? (JSON.parse(text) as PushRequest) : undefined })
          : { body: { ok: true } };
      res.writeHead(answer.status ?? 200, { "content-type": "application/json" });
      res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const terminalId = randomUUID();
const storeId = randomUUID();
const productId = randomUUID();
const EMPTY_PAGE = { changes: [], nextCursor: "0", hasMore: false };

/** What the agent holds locally: every synced table's rows, its outbox statuses and its cursor. */
function localState(a: TestAgent) {
  const tables = ["products", "customers", "inventory_items", "sale_orders", "payments", "categories"];
  const rows = Object.fromEntries(tables.map((t) => [t, a.db.prepare(`SELECT * FROM ${t} ORDER BY id`).all()]));
  const outbox = a.db.prepare(`SELECT change_id, status FROM outbox ORDER BY id`).all();
  const cursor = a.db.prepare(`SELECT value FROM sync_state WHERE key = 'cursor'`).get() ?? null;
  return { rows, outbox, cursor };
}

const okResults = (b: PushRequest | undefined) =>
  b!.changes.map((c) => ({ changeId: c.changeId, status: "APPLIED", version: 1 }));
const product = (over: Record<string, unknown>) => ({
  entityType: "products",
  entityId: productId,
  operation: "UPSERT",
  data: {
    id: productId,
    sku: "LIE-1",
    name: "Lie",
    price_cents: 100,
    tax_rate_bp: 0,
    active: true,
    version: 2,
    ...over,
  },
  version: 2,
});
const pullOf = (changes: unknown[], extra: Record<string, unknown> = {}) => ({
  changes,
  nextCursor: "5",
  hasMore: false,
  ...extra,
});

interface Case {
  name: string;
  /** Writes a sale first, so there is something to push. */
  sells: boolean;
  lie: Lie;
  error: RegExp;
  /** The agent's cursor before the cycle (default: the start of the feed). */
  cursor?: string;
}

const pushLie =
  (f: (b: PushRequest) => unknown): Lie =>
  (r) =>
    r.path === "/api/sync/push" ? { body: { results: f(r.body!) } } : { body: EMPTY_PAGE };
const pullLie =
  (page: unknown): Lie =>
  (r) =>
    r.path === "/api/sync/pull" ? { body: page } : { body: { results: okResults(r.body) } };

const cases: Case[] = [
  {
    name: "push answered with fewer results than changes",
    sells: true,
    lie: pushLie((b) => okResults(b).slice(1)),
    error: /answered 1 result\(s\) to a push of 2 change\(s\)/,
  },
  {
    name: "push answered with no results",
    sells: true,
    lie: pushLie(() => []),
    error: /answered 0 result\(s\) to a push of 2/,
  },
  {
    name: "push answered with more results than changes",
    sells: true,
    lie: pushLie((b) => [...okResults(b), ...okResults(b)]),
    error: /answered 4 result\(s\) to a push of 2/,
  },
  {
    name: "push answered for a change id it was not sent",
    sells: true,
    lie: pushLie((b) => [okResults(b)[0], { changeId: randomUUID(), status: "APPLIED", version: 1 }]),
    error: /answered change .*, which this push did not send/,
  },
  {
    name: "push answered one change twice",
    sells: true,
    lie: pushLie((b) => [okResults(b)[0], okResults(b)[0]]),
    error: /answered change .* twice/,
  },
  {
    name: "push answered with an unknown status",
    sells: true,
    lie: pushLie((b) => okResults(b).map((r) => ({ ...r, status: "MAYBE" }))),
    error: /does not match the protocol/,
  },
  {
    name: "push answered with results that are not a list",
    sells: true,
    lie: pushLie(() => ({ ok: true })),
    error: /does not match the protocol/,
  },
  {
    name: "push answered with HTML",
    sells: true,
    lie: (r) => (r.path === "/api/sync/push" ? { body: "<html>proxy error</html>" } : { body: EMPTY_PAGE }),
    error: /does not match the protocol/,
  },
  {
    name: "push answered with a conflict whose central row has text in an integer column",
    sells: true,
    lie: pushLie((b) =>
      b.changes.map((c) => ({
        changeId: c.changeId,
        status: "CONFLICT",
        conflictId: randomUUID(),
        strategy: "TERMINAL_WINS",
        resolution: "CENTRAL_KEPT",
        version: 3,
        centralData: { ...c.data, total_cents: "abc", amount_cents: "abc" },
      })),
    ),
    error: /is not a valid row \(.*must be an integer/,
  },
  {
    name: "push answered with a conflict whose central row is another row",
    sells: true,
    lie: pushLie((b) =>
      b.changes.map((c) => ({
        changeId: c.changeId,
        status: "CONFLICT",
        conflictId: randomUUID(),
        strategy: "TERMINAL_WINS",
        resolution: "CENTRAL_KEPT",
        version: 3,
        centralData: { ...c.data, id: randomUUID() },
      })),
    ),
    error: /row .* is sent as/,
  },
  {
    name: "pull says there is more, with a cursor that does not advance",
    sells: false,
    lie: pullLie({ changes: [], nextCursor: "0", hasMore: true }),
    error: /says there is more but its cursor does not advance/,
  },
  {
    name: "pull answers an earlier cursor",
    sells: false,
    cursor: "10",
    lie: pullLie({ changes: [], nextCursor: "3", hasMore: false }),
    error: /after cursor 10 answered the earlier cursor 3/,
  },
  {
    name: "pull sends text in an integer column",
    sells: false,
    lie: pullLie(pullOf([product({ price_cents: "abc" })])),
    error: /products .* is not a valid row \(price_cents: must be an integer/,
  },
  {
    name: "pull sends a negative price",
    sells: false,
    lie: pullLie(pullOf([product({ price_cents: -5 })])),
    error: /price_cents: must be an integer from 0/,
  },
  {
    name: "pull sends a price beyond int4",
    sells: false,
    lie: pullLie(pullOf([product({ price_cents: 3e9 })])),
    error: /price_cents/,
  },
  {
    name: "pull sends a name with NUL",
    sells: false,
    lie: pullLie(pullOf([product({ name: "a\u0000b" })])),
    error: /name: must not contain a NUL/,
  },
  {
    name: "pull sends a name with a lone surrogate",
    sells: false,
    lie: pullLie(pullOf([product({ name: "\ud800" })])),
    error: /lone UTF-16 surrogate/,
  },
  {
    name: "pull sends a row without its required sku",
    sells: false,
    lie: pullLie(pullOf([product({ sku: undefined })])),
    error: /sku: is required/,
  },
  {
    name: "pull sends a row under another id than the change's",
    sells: false,
    lie: pullLie(pullOf([{ ...product({}), entityId: randomUUID() }])),
    error: /is sent as products/,
  },
  {
    name: "pull sends rows of a table central never sends (sale_orders)",
    sells: false,
    lie: pullLie(
      pullOf([
        {
          entityType: "sale_orders",
          entityId: randomUUID(),
          operation: "UPSERT",
          data: { store_id: storeId },
          version: 1,
        },
      ]),
    ),
    error: /sent sale_orders rows, which central never sends/,
  },
  {
    name: "pull sends an UPSERT without the row",
    sells: false,
    lie: pullLie(pullOf([{ ...product({}), data: null }])),
    error: /UPSERT of products .* without the row/,
  },
  {
    name: "pull sends a cursor that is not a cursor",
    sells: false,
    lie: pullLie({ changes: [], nextCursor: "next", hasMore: false }),
    error: /does not match the protocol/,
  },
  {
    name: "pull sends an unknown table",
    sells: false,
    lie: pullLie(pullOf([{ ...product({}), entityType: "widgets" }])),
    error: /does not match the protocol/,
  },
];

describe("a lying central: every lie is a protocol error, and nothing is stored or marked synced on its word", () => {
  it.each(cases)("$name", async ({ sells, lie: theLie, error, cursor }) => {
    const agent = createTestAgent(url, { terminalId, key: "tsk_lying-central-test-key" });
    try {
      if (cursor)
        agent.db.prepare(`INSERT INTO sync_state (key, value, updated_at) VALUES ('cursor', ?, '')`).run(cursor);
      if (sells) {
        const order = randomUUID();
        const till = agent.till();
        till
          .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 100)`)
          .run(order, storeId);
        till
          .prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CASH', 100)`)
          .run(randomUUID(), order);
      }
      const before = localState(agent);
      acknowledged.length = 0;
      lie = theLie;
      const report = await agent.engine.runCycle();
      expect(report.error).toMatch(/central broke the protocol|does not match the protocol/);
      expect(report.error).toMatch(error);
      expect(report.error!.split("\n")).toHaveLength(1);
      expect(localState(agent)).toEqual(before);
      expect(acknowledged).toEqual([]);
      expect(agent.engine.current.kind).toBe("backing-off");
    } finally {
      await agent.destroy();
    }
  });
});
