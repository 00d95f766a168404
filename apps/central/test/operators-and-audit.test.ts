import { spawnSync } from "node:child_process";
import path from "node:path";
import {
  auditPageSchema,
  createOperatorResponseSchema,
  operatorListResponseSchema,
  type AuditEntry,
} from "@tillsync/shared";
import { change, sourceArgs, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";
import { bearer } from "./support/console-session";

const { central, pg } = useTestCentral("audit", { SYNC_POLICY_OVERRIDES: { products: { strategy: "MANUAL_MERGE" } } });

const BIN = path.join(__dirname, "..", "src", "bin.ts");

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [...sourceArgs(BIN), ...args], {
    env: { PATH: process.env.PATH, DATABASE_URL: central.databaseUrl, LOG_LEVEL: "silent", ...env },
    encoding: "utf8",
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function audit(query = ""): Promise<AuditEntry[]> {
  const r = await central.admin("GET", `/api/audit${query}`);
  expect(r.status).toBe(200);
  return auditPageSchema.parse(r.body).entries;
}

describe("operators", () => {
  it("creates an operator with a token shown once and stored only as a hash; a taken name is 409", async () => {
    const r = await central.admin("POST", "/api/operators", { name: "Ada Lovelace", role: "admin" });
    expect(r.status).toBe(201);
    const { operator, token } = createOperatorResponseSchema.parse(r.body);
    expect(token).toMatch(/^tso_/);
    const row = (await pg.query(`SELECT * FROM operators WHERE id = $1`, [operator.id])).rows[0];
    expect(JSON.stringify(row)).not.toContain(token);
    expect((await bearer(central.url, token, "GET", "/api/operators")).status).toBe(200);
    expect((await central.admin("POST", "/api/operators", { name: "Ada Lovelace", role: "viewer" })).status).toBe(409);
    expect((await central.admin("POST", "/api/operators", { name: "x", role: "superuser" })).status).toBe(400);
    expect((await central.admin("POST", "/api/operators", { name: "Owner", role: "admin" })).status).toBe(409);
    expect((await central.admin("POST", "/api/operators", { name: "<script>", role: "viewer" })).status).toBe(400);
    const list = operatorListResponseSchema.parse((await central.admin("GET", "/api/operators")).body);
    expect(list.operators.map((o) => o.name)).toContain("Ada Lovelace");
    // No token in any listing.
    expect(JSON.stringify(list)).not.toContain(token);
  });

  it("revokes idempotently; the revoked token stops working; an unknown id is 404", async () => {
    const op = await central.createOperator("twice", "operator");
    const first = await central.admin<{ operator: { revokedAt: string } }>(
      "POST",
      `/api/operators/${op.id}/revoke`,
      {},
    );
    const second = await central.admin<{ operator: { revokedAt: string } }>(
      "POST",
      `/api/operators/${op.id}/revoke`,
      {},
    );
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((await bearer(central.url, op.token, "GET", "/api/terminals")).status).toBe(401);
    expect((await central.admin("POST", `/api/operators/00000000-0000-4000-8000-000000000000/revoke`, {})).status).toBe(
      404,
    );
  });

  it("manages operators from the central CLI: add prints the token once, list, revoke; bad input exits 2", async () => {
    const add = cli(["operators", "add", "cli-ops", "--role", "operator"]);
    expect(add.err).toBe("");
    expect(add.code).toBe(0);
    const token = /token: (tso_\S+)/.exec(add.out)![1]!;
    expect((await bearer(central.url, token, "GET", "/api/terminals")).status).toBe(200);
    const list = cli(["operators", "list", "--json"]);
    const ops = JSON.parse(list.out).operators as Array<{ id: string; name: string; role: string }>;
    const mine = ops.find((o) => o.name === "cli-ops")!;
    expect(mine.role).toBe("operator");
    expect(list.out).not.toContain(token);
    expect(cli(["operators", "revoke", mine.id]).code).toBe(0);
    expect((await bearer(central.url, token, "GET", "/api/terminals")).status).toBe(401);
    const badRole = cli(["operators", "add", "x", "--role", "root"]);
    expect(badRole.code).toBe(2);
    expect(badRole.err.trim().split("\n")).toHaveLength(1);
    const dup = cli(["operators", "add", "cli-ops", "--role", "viewer"]);
    expect([dup.code, dup.err]).toEqual([1, expect.stringMatching(/already exists/)]);
    expect(cli(["operators", "list"], { DATABASE_URL: "mysql://x" }).code).toBe(2);
  });
});

describe("the audit log", () => {
  it("records terminal, stop/resume, schedule, catalogue, stock and operator actions with operator, target, outcome and reason", async () => {
    const op = await central.createOperator("auditor", "admin");
    const as = (method: string, p: string, body?: unknown) => bearer(central.url, op.token, method, p, body);
    const store = (await as("POST", "/api/stores", { name: "Audit store" })).body as { store: { id: string } };
    const t = (await as("POST", "/api/terminals", { name: "Audit till", storeId: store.store.id, code: "audit-01" }))
      .body as { terminal: { id: string } };
    const id = t.terminal.id;
    expect((await as("POST", `/api/terminals/audit-01/rotate-key`, {})).status).toBe(200);
    expect((await as("POST", `/api/terminals/${id}/disable`, { reason: "stolen till" })).status).toBe(200);
    expect((await as("POST", `/api/terminals/${id}/enable`, {})).status).toBe(200);
    expect((await as("POST", `/api/terminals/${id}/revoke-key`, {})).status).toBe(200);
    expect((await as("POST", "/api/sync/emergency-stop", { reason: "bad price file" })).status).toBe(200);
    expect((await as("POST", "/api/sync/resume", {})).status).toBe(200);
    const sched = (await as("POST", "/api/sync/schedules", { action: "create", scheduleId: "nightly" })).status;
    expect(sched).toBe(201);
    expect((await as("POST", "/api/sync/schedules", { action: "pause", scheduleId: "nightly" })).status).toBe(200);
    const product = (await as("POST", "/api/products", { sku: "AUD-1", name: "Audit", priceCents: 100 })).body as {
      product: { id: string };
    };
    expect(
      (await as("POST", "/api/stock", { storeId: store.store.id, productId: product.product.id, quantity: 5 })).status,
    ).toBe(200);
    const entries = await audit("?operator=auditor&limit=200");
    const got = entries.map((e) => [e.action, e.target.type, e.target.id, e.outcome, e.reason]).reverse();
    expect(got).toEqual([
      ["store.create", "store", store.store.id, "success", null],
      ["terminal.create", "terminal", id, "success", null],
      ["terminal.rotate-key", "terminal", id, "success", null],
      ["terminal.disable", "terminal", id, "success", "stolen till"],
      ["terminal.enable", "terminal", id, "success", null],
      ["terminal.revoke-key", "terminal", id, "success", null],
      ["sync.emergency-stop", "sync", null, "success", "bad price file"],
      ["sync.resume", "sync", null, "success", null],
      ["schedule.create", "schedule", "nightly", "success", null],
      ["schedule.pause", "schedule", "nightly", "success", null],
      ["product.upsert", "product", product.product.id, "success", null],
      ["stock.set", "stock", `${store.store.id}/${product.product.id}`, "success", null],
    ]);
    expect(entries.every((e) => e.operator.id === op.id && e.operator.role === "admin")).toBe(true);
  });

  it("records failed and denied attempts with their outcome and message, and the resolution with its reason", async () => {
    const viewer = await central.createOperator("peeker", "viewer");
    expect((await bearer(central.url, viewer.token, "POST", "/api/sync/emergency-stop", { reason: "x" })).status).toBe(
      403,
    );
    const missing = "00000000-0000-4000-8000-000000000001";
    expect((await central.admin("POST", `/api/terminals/${missing}/disable`, { reason: "gone" })).status).toBe(404);
    const denied = (await audit("?outcome=denied&operator=peeker"))[0]!;
    expect([denied.action, denied.detail]).toEqual(["sync.emergency-stop", expect.stringMatching(/needs operator/)]);
    const failed = (await audit("?outcome=failed&action=terminal.disable"))[0]!;
    expect([failed.operator.name, failed.target.id, failed.reason, failed.detail]).toEqual([
      "owner",
      missing,
      "gone",
      expect.stringMatching(/does not exist/),
    ]);

    // A MANUAL_MERGE conflict, resolved with a reason: on the conflict and in the log.
    const t = await central.provisionTerminal();
    const p = (
      await central.admin<{ product: { id: string; version: number } }>("POST", "/api/products", {
        sku: "MM-1",
        name: "Manual",
        priceCents: 100,
      })
    ).body.product;
    await central.admin("POST", "/api/products", { id: p.id, sku: "MM-1", name: "Manual", priceCents: 120 });
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    const [res] = await till.push([
      change(
        "products",
        { id: p.id, sku: "MM-1", name: "Manual (till)", price_cents: 90 },
        { operation: "UPDATE", baseVersion: p.version },
      ),
    ]);
    expect(res!.status).toBe("CONFLICT");
    const conflictId = (res as { conflictId: string }).conflictId;
    const r = await central.admin("POST", "/api/sync/resolve", {
      conflictId,
      resolution: "KEEP_CENTRAL",
      reason: "central price is right",
    });
    expect(r.status).toBe(200);
    const e = (await audit("?action=conflict.resolve"))[0]!;
    expect([e.target.id, e.reason, e.outcome]).toEqual([conflictId, "central price is right", "success"]);
    const c = await central.admin<{ conflict: { resolvedBy: string; reason: string } }>(
      "GET",
      `/api/conflicts/${conflictId}`,
    );
    expect([c.body.conflict.resolvedBy, c.body.conflict.reason]).toEqual(["owner", "central price is right"]);
  });

  it("pages newest first with an opaque cursor and filters; unknown parameters and bad cursors are 400", async () => {
    for (let i = 0; i < 7; i++) await central.admin("POST", "/api/stores", { name: `Paged ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: unknown } = await central.admin(
        "GET",
        `/api/audit?action=store.create&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      const page = auditPageSchema.parse(r.body);
      expect(page.entries.length).toBeLessThanOrEqual(3);
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = await audit("?action=store.create&limit=200");
    expect(seen).toEqual(all.map((e) => e.id));
    const times = all.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((await central.admin("GET", "/api/audit?colour=red")).status).toBe(400);
    expect((await central.admin("GET", "/api/audit?cursor=garbage")).status).toBe(400);
    expect((await central.admin("GET", "/api/audit?action=terminal.explode")).status).toBe(400);
    expect(
      (await central.admin("GET", `/api/audit?since=${new Date(Date.now() + 60_000).toISOString()}`)).body,
    ).toEqual({
      entries: [],
      nextCursor: null,
    });
  });
});
