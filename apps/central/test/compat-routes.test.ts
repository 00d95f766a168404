import { randomUUID } from "node:crypto";
import { syncRunResponseSchema } from "@tillsync/shared";
import { change, connectTestSocket, TerminalClient, waitFor } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

const lines: Array<{ msg: string; path?: string; status?: number }> = [];
const { central, pg } = useTestCentral(
  "compat",
  { LOG_LEVEL: "info" },
  { logDestination: { write: (l) => void lines.push(JSON.parse(l)) } },
);

describe("unknown /api routes and request logs", () => {
  it("answers 404 for an unknown /api route whatever the token, before authentication", async () => {
    const t = await central.provisionTerminal();
    const tokens = [undefined, "wrong-token", central.adminToken, t.key];
    for (const token of tokens) {
      for (const [method, path] of [
        ["GET", "/api/nope"],
        ["POST", "/api/sync/pushh"],
        ["GET", "/api/sync/push"], // a known path, not with GET
        ["DELETE", "/api/terminals"],
      ] as const) {
        const res = await fetch(`${central.url}${path}`, {
          method,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect({ method, path, token: token?.slice(0, 6), status: res.status }).toEqual({
          method,
          path,
          token: token?.slice(0, 6),
          status: 404,
        });
        expect(body.error.code).toBe("NOT_FOUND");
      }
    }
    // A known route still wants its credentials.
    expect((await fetch(`${central.url}/api/terminals`, { headers: { authorization: "Bearer wrong" } })).status).toBe(
      401,
    );
  });

  it("logs the full path of each request, not the part below its router", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    await till.raw("GET", "/api/sync/pull?since=0");
    await waitFor(() => lines.find((l) => l.msg === "request" && l.path === "/api/sync/pull"), {
      what: "a request line for /api/sync/pull",
    });
    expect(lines.filter((l) => l.msg === "request" && l.path === "/pull")).toEqual([]);
  });
});

describe("compatibility aliases of the sync guides", () => {
  it("POST /api/sync/upload pushes and GET /api/sync/download pulls, exactly as push and pull", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const order = change("sale_orders", { store_id: t.storeId, status: "COMPLETED", total_cents: 250 });
    const up = await till.raw("POST", "/api/sync/upload", { terminalId: t.terminalId, changes: [order] });
    expect(up.status).toBe(200);
    expect(up.body.results).toEqual([expect.objectContaining({ changeId: order.changeId, status: "APPLIED" })]);
    expect((await pg.query(`SELECT total_cents FROM sale_orders WHERE id = $1`, [order.entityId])).rows).toEqual([
      { total_cents: 250 },
    ]);
    await central.admin("POST", "/api/products", { sku: `DL-${t.terminalId.slice(0, 6)}`, name: "dl", priceCents: 9 });
    const down = await till.raw("GET", "/api/sync/download?since=0");
    const pull = await till.raw("GET", "/api/sync/pull?since=0");
    expect(down.status).toBe(200);
    expect(down.body).toEqual(pull.body);
  });

  it("accepts entityType as the entity's PascalCase name beside the table name, and answers table names", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const id = randomUUID();
    const orders = [
      {
        ...change("sale_orders", { id, store_id: t.storeId, status: "PENDING", total_cents: 10 }),
        entityType: "SaleOrder",
      },
      {
        ...change("sale_order_lines", {
          order_id: id,
          product_id: (
            await central.admin<{ product: { id: string } }>("POST", "/api/products", {
              sku: `PC-${id.slice(0, 6)}`,
              name: "pc",
              priceCents: 10,
            })
          ).body.product.id,
          quantity: 1,
          unit_price_cents: 10,
          line_total_cents: 10,
        }),
        entityType: "SaleOrderLine",
      },
    ];
    const r = await till.raw("POST", "/api/sync/push", { terminalId: t.terminalId, changes: orders });
    expect(r.status).toBe(200);
    expect((r.body.results as Array<{ status: string }>).map((x) => x.status)).toEqual(["APPLIED", "APPLIED"]);
    expect(
      (await pg.query(`SELECT count(*)::int AS n FROM sale_order_lines WHERE order_id = $1`, [id])).rows[0].n,
    ).toBe(1);
    const products = await till.raw("GET", "/api/sync/pull?since=0&entityType=Product");
    expect(products.status).toBe(200);
    const types = new Set((products.body.changes as Array<{ entityType: string }>).map((c) => c.entityType));
    expect([...types]).toEqual(["products"]);
    const bad = await till.raw("GET", "/api/sync/pull?entityType=Widget");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("SaleOrder");
  });

  it("refuses lastSync=<time> with a 400 that says why and what to send", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    for (const path of ["/api/sync/pull", "/api/sync/download"]) {
      const r = await till.raw("GET", `${path}?lastSync=2026-11-30T10:00:00Z`);
      expect(r.status).toBe(400);
      const message = (r.body.error as { message: string }).message;
      expect(message).toMatch(/lastSync/);
      expect(message).toMatch(/committed later/);
      expect(message).toMatch(/since=<nextCursor/);
    }
  });

  it("serves GET /api/v1/health as /health", async () => {
    const r = await fetch(`${central.url}/api/v1/health`);
    expect(r.status).toBe(200);
    const alias = (await r.json()) as Record<string, unknown>;
    const core = (await (await fetch(`${central.url}/health`)).json()) as Record<string, unknown>;
    // Same document; only the clock moved between the two answers.
    expect({ ...alias, time: undefined }).toEqual({ ...core, time: undefined });
    expect(Object.keys(alias).sort()).toEqual(Object.keys(core).sort());
  });

  it("serves /api/background/sync/schedule as /api/sync/schedules", async () => {
    const c = await central.admin<{ schedule: { id: string } }>("POST", "/api/background/sync/schedule", {
      action: "create",
      cron: "0 4 * * *",
    });
    expect(c.status).toBe(201);
    const viaAlias = await central.admin<{ schedules: Array<{ id: string }> }>("GET", "/api/background/sync/schedule");
    const viaCore = await central.admin<{ schedules: Array<{ id: string }> }>("GET", "/api/sync/schedules");
    expect(viaAlias.body).toEqual(viaCore.body);
    expect(viaCore.body.schedules.map((s) => s.id)).toContain(c.body.schedule.id);
    await central.admin("POST", "/api/background/sync/schedule", { action: "delete", scheduleId: c.body.schedule.id });
  });

  it("answers POST /api/background/sync/slave-to-prod once the run completed, in the guide's shape", async () => {
    // Only connected terminals that ack: earlier tests' terminals are disabled first.
    const list = await central.admin<{ terminals: Array<{ id: string; status: string }> }>("GET", "/api/terminals");
    for (const x of list.body.terminals) await central.admin("POST", `/api/terminals/${x.id}/disable`, {});
    const t = await central.provisionTerminal();
    const s = connectTestSocket(central.url, t, { autoAck: true });
    await s.ready;
    try {
      const r = await central.admin("POST", "/api/background/sync/slave-to-prod");
      expect(r.status).toBe(200);
      const run = syncRunResponseSchema.parse(r.body);
      expect(run).toMatchObject({ success: true, type: "MANUAL", status: "SUCCESS" });
      expect(run.statistics.sync_completed_at).not.toBeNull();
      expect(run.statistics.terminals_acked).toBe(1);
      expect(typeof run.statistics.total_records).toBe("number");
      expect(typeof run.timestamp).toBe("string");
    } finally {
      s.close();
    }
  });

  it("documents every alias in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${central.url}/api-docs.json`)).json()) as {
      paths: Record<string, Record<string, { summary: string }>>;
    };
    expect(doc.paths["/api/sync/upload"]!.post!.summary).toMatch(/^Alias of POST \/api\/sync\/push/);
    expect(doc.paths["/api/sync/download"]!.get!.summary).toMatch(/^Alias of GET \/api\/sync\/pull/);
    expect(doc.paths["/api/v1/health"]!.get!.summary).toMatch(/^Alias of GET \/health/);
    expect(doc.paths["/api/background/sync/schedule"]!.get!.summary).toMatch(/^Alias of GET \/api\/sync\/schedules/);
    expect(doc.paths["/api/background/sync/slave-to-prod"]!.post!.summary).toMatch(/^Alias of POST \/api\/sync\/all/);
  });
});
