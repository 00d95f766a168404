import { randomUUID } from "node:crypto";
import {
  conflictPageSchema,
  storeListResponseSchema,
  terminalDetailResponseSchema,
  terminalListResponseSchema,
  type ConflictEntry,
} from "@tillsync/shared";
import { change, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";

const { central, pg } = useTestCentral("views", { SYNC_POLICY_OVERRIDES: { products: { strategy: "MANUAL_MERGE" } } });

describe("the console's terminal views", () => {
  it("lists terminals in the contract's shape: code, store name, paused, lag in changes and seconds, feed head, emergency", async () => {
    const s = await central.admin<{ store: { id: string } }>("POST", "/api/stores", { name: "Harbour" });
    const t = await central.admin<{ terminal: { id: string; code: string }; key: string }>("POST", "/api/terminals", {
      name: "Till H1",
      storeId: s.body.store.id,
      code: "harbour-01",
    });
    expect(t.status).toBe(201);
    expect(t.body.terminal.code).toBe("harbour-01");
    await central.admin("POST", "/api/products", { sku: "LAG-1", name: "Lag", priceCents: 10 });
    await central.running.store.feed.sequence();
    await pg.query(`UPDATE change_feed SET created_at = now() - interval '42 seconds'`);
    const r = await central.admin("GET", "/api/terminals");
    const list = terminalListResponseSchema.parse(r.body);
    const row = list.terminals.find((x) => x.id === t.body.terminal.id)!;
    expect(row).toMatchObject({
      code: "harbour-01",
      storeName: "Harbour",
      paused: false,
      // Never synced: gray, on central as in the agent's status (one rule in packages/shared).
      health: "gray",
      lastError: null,
    });
    expect(row.lag).toBeGreaterThan(0);
    expect(row.lagSeconds).toBeGreaterThanOrEqual(42);
    expect(Number(list.feedHead)).toBeGreaterThan(0);
    expect(list.emergency.stopped).toBe(false);
    expect(Math.abs(Date.parse(list.generatedAt) - Date.now())).toBeLessThan(60_000);

    // Caught up: lag 0 both ways.
    const till = new TerminalClient(central.url, t.body.terminal.id, t.body.key);
    await till.raw("POST", "/api/sync/acknowledge", { terminalId: t.body.terminal.id, cursor: list.feedHead });
    const after = terminalListResponseSchema.parse((await central.admin("GET", "/api/terminals")).body);
    expect(after.terminals.find((x) => x.id === t.body.terminal.id)).toMatchObject({ lag: 0, lagSeconds: 0 });
  });

  it("accepts a terminal's code wherever its id is, and refuses codes that are taken or look like ids", async () => {
    const { storeId } = await central.provisionTerminal();
    const made = await central.admin<{ terminal: { id: string } }>("POST", "/api/terminals", {
      name: "Coded",
      storeId,
      code: "coded-7",
    });
    expect((await central.admin("POST", "/api/terminals", { name: "Again", storeId, code: "coded-7" })).status).toBe(
      409,
    );
    expect((await central.admin("POST", "/api/terminals", { name: "Bad", storeId, code: "Not Lower" })).status).toBe(
      400,
    );
    expect((await central.admin("POST", "/api/terminals", { name: "Bad", storeId, code: randomUUID() })).status).toBe(
      400,
    );
    const detail = await central.admin("GET", "/api/terminals/coded-7");
    expect(terminalDetailResponseSchema.parse(detail.body).terminal.id).toBe(made.body.terminal.id);
    const off = await central.admin("POST", "/api/terminals/coded-7/disable", { reason: "test" });
    expect(off.body).toEqual({ terminalId: made.body.terminal.id, status: "DISABLED" });
    const on = await central.admin("POST", "/api/terminals/coded-7/enable", {});
    expect(on.body).toEqual({ terminalId: made.body.terminal.id, status: "OFFLINE" });
    expect((await central.admin("GET", "/api/terminals/no-such-code")).status).toBe(404);
    expect((await central.admin("GET", `/api/terminals/${randomUUID()}`)).status).toBe(404);
  });

  it("shows the heartbeat's outbox per table, last error and failed changes in the detail; history newest first", async () => {
    const t = await central.provisionTerminal({ name: "Reporter" });
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const failed = {
      changeId: randomUUID(),
      entityType: "sale_orders",
      entityId: randomUUID(),
      operation: "CREATE",
      error: "store_id: must be a store of this terminal",
      attempts: 3,
      lastAttemptAt: new Date().toISOString(),
    };
    const hb = await till.raw("POST", "/api/sync/heartbeat", {
      terminalId: t.terminalId,
      status: "backing-off",
      outbox: { sale_orders: { pending: 2, failed: 1, synced: 5, conflicts: 0 } },
      lastError: {
        message: "central unreachable: ECONNREFUSED",
        at: new Date().toISOString(),
        code: "CENTRAL_UNREACHABLE",
      },
      failedChanges: [failed],
    });
    expect(hb.status).toBe(200);
    await pg.query(
      `INSERT INTO sync_history (terminal_id, kind, started_at) VALUES ($1, 'OFFLINE', now() - interval '1 hour'), ($1, 'OFFLINE', now())`,
      [t.terminalId],
    );
    const d = terminalDetailResponseSchema.parse((await central.admin("GET", `/api/terminals/${t.terminalId}`)).body);
    expect(d.tables.sale_orders).toEqual({ pending: 2, failed: 1, synced: 5, conflicts: 0 });
    expect(d.failedChanges).toEqual([failed]);
    expect(d.terminal.lastError).toMatchObject({
      message: "central unreachable: ECONNREFUSED",
      code: "CENTRAL_UNREACHABLE",
    });
    expect(d.terminal.health).toBe("yellow");
    expect(d.history).toHaveLength(2);
    expect(Date.parse(d.history[0]!.startedAt)).toBeGreaterThan(Date.parse(d.history[1]!.startedAt));
    // A clean heartbeat clears the last error.
    await till.raw("POST", "/api/sync/heartbeat", {
      terminalId: t.terminalId,
      status: "idle",
      outbox: {},
      lastError: null,
    });
    const list = terminalListResponseSchema.parse((await central.admin("GET", "/api/terminals")).body);
    expect(list.terminals.find((x) => x.id === t.terminalId)!.lastError).toBeNull();
  });

  it("revokes a terminal's keys: its requests get 401 until a key is rotated in", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const beat = { terminalId: t.terminalId, status: "idle", outbox: {} };
    const push = () => till.raw("POST", "/api/sync/heartbeat", beat);
    expect((await push()).status).toBe(200);
    const r = await central.admin("POST", `/api/terminals/${t.terminalId}/revoke-key`, {});
    expect(r.body).toEqual({ terminalId: t.terminalId, status: "ONLINE" });
    expect((await push()).status).toBe(401);
    const rotated = await central.admin<{ key: string }>("POST", `/api/terminals/${t.terminalId}/rotate-key`, {});
    expect((await till.raw("POST", "/api/sync/heartbeat", beat, rotated.body.key)).status).toBe(200);
  });

  it("lists stores by name", async () => {
    await central.admin("POST", "/api/stores", { name: "Aardvark Lane" });
    const stores = storeListResponseSchema.parse((await central.admin("GET", "/api/stores")).body).stores;
    expect(stores[0]!.name).toBe("Aardvark Lane");
  });
});

describe("the conflict log as the console reads it", () => {
  let conflicts: ConflictEntry[] = [];
  let terminals: string[] = [];

  beforeAll(async () => {
    const a = await central.provisionTerminal({ name: "Conflicting A" });
    const b = await central.provisionTerminal({ name: "Conflicting B", storeId: a.storeId });
    terminals = [a.terminalId, b.terminalId];
    for (const [i, t] of [a, a, a, b, b].entries()) {
      const p = (
        await central.admin<{ product: { id: string; version: number } }>("POST", "/api/products", {
          sku: `CF-${i}`,
          name: `C ${i}`,
          priceCents: 100,
        })
      ).body.product;
      await central.admin("POST", "/api/products", { id: p.id, sku: `CF-${i}`, name: `C ${i}`, priceCents: 110 });
      const till = new TerminalClient(central.url, t.terminalId, t.key);
      await till.push([
        change(
          "products",
          { id: p.id, sku: `CF-${i}`, name: "till", price_cents: 90 },
          { operation: "UPDATE", baseVersion: p.version },
        ),
      ]);
    }
    conflicts = conflictPageSchema.parse((await central.admin("GET", "/api/conflicts?limit=200")).body).conflicts;
  });

  it("answers ConflictPage newest first with terminal names, both sides and the strategy", () => {
    expect(conflicts).toHaveLength(5);
    expect(conflicts.every((c) => c.strategy === "MANUAL_MERGE" && c.status === "PENDING")).toBe(true);
    expect(conflicts[0]!.terminalName).toBe("Conflicting B");
    expect(conflicts[0]!.terminalData).toMatchObject({ price_cents: 90 });
    expect(conflicts[0]!.centralData).toMatchObject({ price_cents: 110 });
    const times = conflicts.map((c) => Date.parse(c.createdAt));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
  });

  it("filters by status, table and terminal, pages with a cursor and counts the total", async () => {
    const page = async (q: string) =>
      conflictPageSchema.parse((await central.admin("GET", `/api/conflicts?${q}`)).body);
    const first = await page(`terminalId=${terminals[0]}&limit=2`);
    expect([first.conflicts.length, first.total]).toEqual([2, 3]);
    const second = await page(`terminalId=${terminals[0]}&limit=2&cursor=${first.nextCursor}`);
    expect([second.conflicts.length, second.nextCursor]).toEqual([1, null]);
    const ids = [...first.conflicts, ...second.conflicts].map((c) => c.id);
    expect(ids).toEqual(conflicts.filter((c) => c.terminalId === terminals[0]).map((c) => c.id));
    expect((await page("entityType=products&status=PENDING")).total).toBe(5);
    expect((await page("entityType=customers")).conflicts).toEqual([]);
    expect((await page("status=RESOLVED")).total).toBe(0);
    for (const bad of ["status=MAYBE", "limit=0", "limit=201", "cursor=xyz", "terminalId=nope", "colour=red"])
      expect([bad, (await central.admin("GET", `/api/conflicts?${bad}`)).status]).toEqual([bad, 400]);
  });

  it("answers one conflict by id, 404 for an unknown one", async () => {
    const one = await central.admin<{ conflict: ConflictEntry }>("GET", `/api/conflicts/${conflicts[2]!.id}`);
    expect(one.body.conflict).toEqual(conflicts[2]);
    expect((await central.admin("GET", `/api/conflicts/${randomUUID()}`)).status).toBe(404);
    expect((await central.admin("GET", `/api/conflicts/not-a-uuid`)).status).toBe(400);
  });
});
