import { createApp } from "../src/app";
import { listExpressRoutes } from "../src/openapi/express-routes";
import { useTestCentral } from "../testing";
import { change, connectTestSocket, TerminalClient } from "@tillsync/testkit";

const { central } = useTestCentral("apidocs");

/** The OpenAPI document names exactly the routes Express serves; /metrics answers. */
describe("api docs and metrics", () => {
  it("documents every Express route, and only those", async () => {
    const r = central.running;
    const app = createApp({
      store: r.store,
      redis: r.redis,
      adminToken: central.adminToken,
      hub: r.hub,
      metrics: r.metrics,
      logger: r.logger,
    });
    const served = listExpressRoutes(app);
    const res = await fetch(`${central.url}/api-docs.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ":$1")}`))
      .sort();
    expect(served).toContain("POST /api/sync/resolve");
    expect(served).toContain("POST /api/sync/push");
    expect(documented).toEqual(served);
  });

  it("generates request bodies from the shared zod schemas", async () => {
    const doc = (await (await fetch(`${central.url}/api-docs.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> } }>
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(doc.paths["/api/sync/push"]!.post!.requestBody!.content["application/json"]!.schema.$ref).toBe(
      "#/components/schemas/PushRequest",
    );
    expect(Object.keys(doc.components.schemas.PushRequest!.properties!)).toEqual(["terminalId", "changes"]);
    expect(doc.components.schemas.ScheduleRequest).toBeDefined();
  });

  it("serves Swagger UI at /api-docs with its assets", async () => {
    const page = await fetch(`${central.url}/api-docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("SwaggerUIBundle");
    const js = await fetch(`${central.url}/api-docs/assets/swagger-ui-bundle.js`);
    expect(js.status).toBe(200);
  });

  it("answers /metrics in Prometheus format with the hub's series", async () => {
    const res = await fetch(`${central.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of [
      "tillsync_connected_terminals",
      "tillsync_pushes_total",
      "tillsync_push_duration_seconds",
      "tillsync_queue_jobs",
    ]) {
      expect(text).toContain(name);
    }
  });

  it("counts pushes, their results and latency, and connected terminals", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const results = await till.push([
      change("sale_orders", { store_id: t.storeId, status: "COMPLETED", total_cents: 100 }),
    ]);
    expect(results[0]!.status).toBe("APPLIED");
    const s = connectTestSocket(central.url, t);
    try {
      await s.ready;
      const text = await (await fetch(`${central.url}/metrics`)).text();
      expect(text).toMatch(/tillsync_changes_total\{result="APPLIED"\} 1/);
      expect(text).toMatch(/tillsync_pushes_total\{status="200"\} 1/);
      expect(text).toMatch(/tillsync_push_duration_seconds_count 1/);
      expect(text).toMatch(/tillsync_connected_terminals 1/);
    } finally {
      s.close();
    }
  });

  it("echoes a request id", async () => {
    const res = await fetch(`${central.url}/health`, { headers: { "x-request-id": "abc-123" } });
    expect(res.headers.get("x-request-id")).toBe("abc-123");
    expect((await fetch(`${central.url}/health`)).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
