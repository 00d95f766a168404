import { change, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

const { central } = useTestCentral("casing", { SYNC_POLICY_OVERRIDES: { products: { strategy: "MANUAL_MERGE" } } });

/**
 * Objects whose keys are data, not field names: table names (tables, outbox, per-table counts),
 * row columns (SPEC §2: rows travel keyed by their column names), an alert's details, and the
 * slave-to-prod guide's `statistics`, kept with its own names for the scripts written against it.
 */
const DATA_KEYS = new Set([
  "tables",
  "outbox",
  "data",
  "baseData",
  "centralData",
  "terminalData",
  "resolvedData",
  "statistics",
  "row",
  "failedByTable",
]);

function fieldNames(v: unknown, path: string, out: string[]): void {
  if (Array.isArray(v)) return v.forEach((x, i) => fieldNames(x, `${path}[${i}]`, out));
  if (!v || typeof v !== "object") return;
  for (const [k, x] of Object.entries(v)) {
    out.push(`${path}.${k}`);
    if (!DATA_KEYS.has(k)) fieldNames(x, `${path}.${k}`, out);
  }
}

describe("admin API casing", () => {
  it("the checker finds a snake_case field, and skips the keys of data", () => {
    const names: string[] = [];
    fieldNames({ fine: { last_seen: 1 }, data: { price_cents: 1 } }, "", names);
    expect(names).toEqual([".fine", ".fine.last_seen", ".data"]);
  });

  it("answers camelCase field names on every read, rows keep their column names", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    await till.raw("POST", "/api/sync/heartbeat", {
      terminalId: t.terminalId,
      status: "idle",
      outbox: { sale_orders: { pending: 1, failed: 0, synced: 0, conflicts: 0 } },
    });
    const sku = "CASE-1";
    const p = (
      await central.admin<{ product: { id: string; version: number } }>("POST", "/api/products", {
        sku,
        name: "c",
        priceCents: 1,
      })
    ).body.product;
    await central.admin("POST", "/api/products", { id: p.id, sku, name: "c", priceCents: 2 });
    await till.push([
      change("products", { id: p.id, sku, name: "t", price_cents: 3 }, { operation: "UPDATE", baseVersion: p.version }),
    ]);
    const run = await central.admin<{ runId: string }>("POST", "/api/sync/all", { allTerminals: true });
    const paths = [
      "/api/terminals",
      `/api/terminals/${t.terminalId}`,
      "/api/stores",
      "/api/sync/status",
      `/api/sync/status?terminalId=${t.terminalId}`,
      "/api/sync/schedules",
      "/api/conflicts",
      "/api/audit",
      "/api/operators",
      `/api/sync/runs/${run.body.runId}`,
    ];
    const snake: string[] = [];
    for (const path of paths) {
      const r = await central.admin("GET", path);
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
      const names: string[] = [];
      fieldNames(r.body, path, names);
      snake.push(...names.filter((n) => /_/.test(n.slice(n.lastIndexOf(".") + 1))));
    }
    expect(snake).toEqual([]);
  });
});
