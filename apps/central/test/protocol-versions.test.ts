import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";
import {
  OLDEST_PROTOCOL_VERSION,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  SCHEMA_HEADER,
  type PullChange,
  type PushResult,
} from "@tillsync/shared";
import { change, TerminalClient } from "@tillsync/testkit";
import type { RunningCentral } from "../src/main";
import { useTestCentral } from "../testing";

/**
 * Rolling upgrades (issue 12 §7): central serves the current protocol and the one before it.
 * An agent of protocol 1 (no products.barcode) pushes and pulls rows of its own shape: the
 * column it does not know keeps its value at central and is never sent to it; a column it
 * sends that its protocol has not is refused by name. A protocol central does not serve is
 * a 426 saying which side to upgrade, before anything is read or written.
 */
const logLines: string[] = [];
const { central, pg } = useTestCentral(
  "protocols",
  { LOG_LEVEL: "info" },
  { logDestination: { write: (line) => void logLines.push(line) } },
);

const v = (n: number) => ({ [PROTOCOL_HEADER]: String(n), [SCHEMA_HEADER]: "20261201183422_product_barcode" });
let creds: { terminalId: string; key: string; storeId: string };
/** The same terminal as an agent of each protocol, and as one of the first release (no header). */
let current: TerminalClient;
let previous: TerminalClient;
let unversioned: TerminalClient;

const productRow = async (id: string) =>
  (await pg.query(`SELECT name, barcode, version FROM products WHERE id = $1`, [id])).rows[0] as
    { name: string; barcode: string | null; version: number } | undefined;

const pulled = async (client: TerminalClient, id: string): Promise<PullChange | undefined> => {
  const r = await client.raw("GET", "/api/sync/pull?since=0&limit=1000");
  expect(r.status).toBe(200);
  return (r.body.changes as PullChange[]).find((c) => c.entityId === id);
};

const product = (over: Record<string, unknown> = {}) => ({
  sku: `SKU-${randomUUID()}`,
  name: "Tea",
  price_cents: 250,
  ...over,
});

beforeAll(async () => {
  creds = await central.provisionTerminal();
  current = new TerminalClient(central.url, creds.terminalId, creds.key, v(PROTOCOL_VERSION));
  previous = new TerminalClient(central.url, creds.terminalId, creds.key, v(PROTOCOL_VERSION - 1));
  unversioned = new TerminalClient(central.url, creds.terminalId, creds.key, {});
});

describe("the protocols central serves", () => {
  it("reports them on /health", async () => {
    const body = (await (await fetch(`${central.url}/health`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ protocolVersion: PROTOCOL_VERSION, oldestProtocolVersion: OLDEST_PROTOCOL_VERSION });
    expect(PROTOCOL_VERSION - 1).toBeGreaterThanOrEqual(OLDEST_PROTOCOL_VERSION);
  });

  it("sends the barcode to a current agent and not to one of protocol 1 (or without a header)", async () => {
    const id = randomUUID();
    await central.admin("POST", "/api/products", { id, sku: `B-${id}`, name: "Coffee", priceCents: 400 });
    await pg.query(`UPDATE products SET barcode = '4006381333931' WHERE id = $1`, [id]);
    expect((await pulled(current, id))?.data).toMatchObject({ name: "Coffee", barcode: "4006381333931" });
    for (const old of [previous, unversioned]) {
      const c = await pulled(old, id);
      expect(c?.data).toMatchObject({ name: "Coffee", price_cents: 400 });
      expect(c?.data).not.toHaveProperty("barcode");
    }
  });

  it("writes the barcode a current agent pushes, both on create and on update", async () => {
    const p = change("products", product({ barcode: "0012345678905" }));
    expect((await current.push([p]))[0]).toMatchObject({ status: "APPLIED", version: 1 });
    expect(await productRow(p.entityId)).toMatchObject({ barcode: "0012345678905" });
    const u = change("products", { ...p.data, barcode: "0098765432109" }, { operation: "UPDATE", baseVersion: 1 });
    expect((await current.push([u]))[0]).toMatchObject({ status: "APPLIED", version: 2 });
    expect(await productRow(p.entityId)).toMatchObject({ barcode: "0098765432109" });
  });

  it("leaves the barcode at its default on an old agent's create and keeps it on its update", async () => {
    const p = change("products", product());
    expect((await previous.push([p]))[0]).toMatchObject({ status: "APPLIED" });
    expect(await productRow(p.entityId)).toMatchObject({ barcode: null });
    await pg.query(`UPDATE products SET barcode = '5901234123457' WHERE id = $1`, [p.entityId]);
    const version = (await productRow(p.entityId))!.version;
    const u = change("products", { ...p.data, name: "Green tea" }, { operation: "UPDATE", baseVersion: version });
    expect((await unversioned.push([u]))[0]).toMatchObject({ status: "APPLIED" });
    expect(await productRow(p.entityId)).toMatchObject({ name: "Green tea", barcode: "5901234123457" });
  });

  it("answers an old agent's conflict with central's row in its own shape", async () => {
    const p = change("products", product());
    await current.push([p]);
    await pg.query(`UPDATE products SET barcode = '96385074', name = 'Renamed at central' WHERE id = $1`, [p.entityId]);
    const stale = change("products", { ...p.data, name: "Till's name" }, { operation: "UPDATE", baseVersion: 1 });
    const [r] = (await previous.push([stale])) as Array<PushResult & { centralData?: Record<string, unknown> }>;
    expect(r).toMatchObject({ status: "CONFLICT", centralData: { name: "Renamed at central" } });
    expect(r!.centralData).not.toHaveProperty("barcode");
  });

  it.each([
    ["an old agent's barcode", () => previous, { barcode: "4006381333931" }, /unknown column barcode \(/],
    ["a current agent's unknown columns", () => current, { colour: "red", aisle: 4 }, /unknown columns aisle, colour/],
  ])("refuses %s by name, writing nothing", async (_name, client, extra, reason) => {
    const p = change("products", product(extra));
    const [r] = await client().push([p]);
    expect(r).toMatchObject({ status: "REJECTED", retryable: false });
    expect((r as { reason: string }).reason).toMatch(reason);
    expect(await productRow(p.entityId)).toBeUndefined();
  });

  it("answers 426 to an agent newer than central, saying to upgrade central, before writing anything", async () => {
    const newer = new TerminalClient(central.url, creds.terminalId, creds.key, v(PROTOCOL_VERSION + 1));
    const p = change("products", product());
    const res = await fetch(`${central.url}/api/sync/push`, {
      method: "POST",
      headers: { ...newer.headers, authorization: `Bearer ${creds.key}`, "content-type": "application/json" },
      body: JSON.stringify({ terminalId: creds.terminalId, changes: [p] }),
    });
    expect(res.status).toBe(426);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
    expect(body.error.code).toBe("UPGRADE_REQUIRED");
    expect(body.error.message).toMatch(
      new RegExp(
        `^upgrade required: .*protocol ${PROTOCOL_VERSION + 1}.*upgrade central to a release speaking protocol ${PROTOCOL_VERSION + 1}`,
      ),
    );
    expect(body.error.details).toMatchObject({ upgrade: "central", agentProtocol: PROTOCOL_VERSION + 1 });
    expect(await productRow(p.entityId)).toBeUndefined();
    expect((await newer.raw("GET", "/api/sync/pull")).status).toBe(426);
    // The sync guides' aliases and the own-orders download are behind the same gate.
    const aliased = { ...p, entityType: "Product" };
    const up = await newer.raw("POST", "/api/sync/upload", { terminalId: creds.terminalId, changes: [aliased] });
    expect(up.status).toBe(426);
    expect(await productRow(p.entityId)).toBeUndefined();
    expect((await newer.raw("GET", "/api/sync/download?since=0")).status).toBe(426);
    expect((await newer.raw("GET", "/api/sync/own-orders")).status).toBe(426);
    expect(
      (await newer.raw("POST", "/api/sync/acknowledge", { terminalId: creds.terminalId, cursor: "0" })).status,
    ).toBe(426);
  });

  it("still records the heartbeat of an agent it cannot serve (the console shows why it waits)", async () => {
    const newer = new TerminalClient(central.url, creds.terminalId, creds.key, v(PROTOCOL_VERSION + 1));
    const lastError = { message: "upgrade required: this agent speaks protocol 3", at: new Date().toISOString() };
    const r = await newer.raw("POST", "/api/sync/heartbeat", {
      terminalId: creds.terminalId,
      status: "backing-off",
      outbox: {},
      lastError,
    });
    expect(r.status).toBe(200);
    const t = await central.admin<{ lastError?: { message: string } }>("GET", `/api/terminals/${creds.terminalId}`);
    expect(JSON.stringify(t.body)).toContain("upgrade required: this agent speaks protocol 3");
  });

  it.each(["two", "0", "-1", "1.5", "1, 2"])(
    "refuses a malformed protocol header %j with a 400 naming it",
    async (h) => {
      const bad = new TerminalClient(central.url, creds.terminalId, creds.key, { [PROTOCOL_HEADER]: h });
      const r = await bad.raw("GET", "/api/sync/pull");
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toContain(PROTOCOL_HEADER);
      // The heartbeat has its own chain (routes/heartbeat-mount.ts): exempt from 426, not from the header's check.
      const hb = await bad.raw("POST", "/api/sync/heartbeat", {
        terminalId: creds.terminalId,
        status: "idle",
        outbox: {},
      });
      expect(hb.status).toBe(400);
      expect(JSON.stringify(hb.body)).toContain(PROTOCOL_HEADER);
    },
  );

  it("refuses a malformed schema header with a 400 naming it", async () => {
    const bad = new TerminalClient(central.url, creds.terminalId, creds.key, { [SCHEMA_HEADER]: "x y;z" });
    const r = await bad.raw("GET", "/api/sync/pull");
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain(SCHEMA_HEADER);
  });

  it("logs every request with the protocol and schema the till runs (absent header: protocol 1)", async () => {
    const requests = () =>
      logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request");
    logLines.length = 0;
    await current.raw("GET", "/api/sync/pull?limit=1");
    await unversioned.raw("GET", "/api/sync/pull?limit=2");
    const newer = new TerminalClient(central.url, creds.terminalId, creds.key, v(PROTOCOL_VERSION + 1));
    await newer.raw("GET", "/api/sync/pull?limit=3");
    expect(requests().map((l) => [l.status, l.protocol, l.schema ?? null])).toEqual([
      [200, PROTOCOL_VERSION, "20261201183422_product_barcode"],
      [200, 1, null],
      [426, PROTOCOL_VERSION + 1, "20261201183422_product_barcode"],
    ]);
  });

  it("refuses a socket handshake of a protocol it does not serve, saying what to upgrade", async () => {
    const socket = io(central.url, {
      auth: { token: creds.key, protocol: PROTOCOL_VERSION + 1 },
      transports: ["websocket"],
      reconnection: false,
    });
    try {
      const err = await new Promise<Error & { data?: { code?: string; upgrade?: string } }>((resolve) =>
        socket.on("connect_error", resolve),
      );
      expect(err.data).toMatchObject({ code: "UPGRADE_REQUIRED", upgrade: "central" });
      expect(err.message).toMatch(/upgrade central/);
    } finally {
      socket.close();
    }
  });
});

describe("a later central that no longer serves protocol 1", () => {
  let later: RunningCentral;
  let url: string;

  beforeAll(async () => {
    later = await central.startInstance({ protocols: { oldest: PROTOCOL_VERSION, newest: PROTOCOL_VERSION } });
    url = `http://127.0.0.1:${later.port}`;
  });
  afterAll(async () => {
    await later.stop();
  });

  it.each([
    ["protocol 1", v(PROTOCOL_VERSION - 1)],
    ["no header (the first release)", {}],
  ])("answers 426 to an agent of %s, saying to upgrade the agent to the current protocol", async (_n, headers) => {
    const old = new TerminalClient(url, creds.terminalId, creds.key, headers);
    const p = change("products", product());
    const r = await old.raw("POST", "/api/sync/push", { terminalId: creds.terminalId, changes: [p] });
    expect(r.status).toBe(426);
    expect(r.body.error).toMatchObject({
      code: "UPGRADE_REQUIRED",
      details: { upgrade: "agent", agentProtocol: PROTOCOL_VERSION - 1, centralOldest: PROTOCOL_VERSION },
    });
    expect((r.body.error as { message: string }).message).toMatch(
      new RegExp(`upgrade the agent to protocol ${PROTOCOL_VERSION}`),
    );
    expect(await productRow(p.entityId)).toBeUndefined();
  });

  it("serves the current protocol", async () => {
    const now = new TerminalClient(url, creds.terminalId, creds.key, v(PROTOCOL_VERSION));
    expect((await now.push([change("products", product())]))[0]).toMatchObject({ status: "APPLIED" });
  });
});
