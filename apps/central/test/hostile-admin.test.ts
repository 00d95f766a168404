import { randomUUID } from "node:crypto";
import { change, TerminalClient } from "@tillsync/testkit";
import { useTestCentral } from "../testing";
import { dataChecksum, errorOf, expectHealthy, jsonRequest, long, type RawAnswer } from "./support/hostile";

/**
 * Hostile input on the admin endpoints: resolutions (every side through the row schemas),
 * catalogue and stock writes, provisioning, pause, rotation, triggers, the emergency stop and
 * schedules. Each is a 4xx with the usual error body naming what was wrong, no data table
 * changes, and central still answers /health. One central (products under MANUAL_MERGE, so
 * conflicts wait for an operator) for the file.
 */
const { central, pg } = useTestCentral(
  "hostile_admin",
  { SYNC_POLICY_OVERRIDES: { products: { strategy: "MANUAL_MERGE" } } },
  { hub: { authFailureBurst: 1000 } },
);

let terminalId: string;
let storeId: string;
const productId = randomUUID();
let pending: string;
let poisoned: string;
let resolved: string;

/** A PENDING conflict on the product: central changed it after the till's base. */
async function pendingConflict(till: TerminalClient, name: string): Promise<string> {
  const [r] = await till.push([
    change(
      "products",
      { id: productId, sku: "ADMIN-1", name, price_cents: 120 },
      { operation: "UPDATE", baseVersion: 1, syncPriority: 5 },
    ),
  ]);
  expect(r).toMatchObject({ status: "CONFLICT", resolution: "PENDING" });
  return (r as { conflictId: string }).conflictId;
}

beforeAll(async () => {
  const t = await central.provisionTerminal();
  terminalId = t.terminalId;
  storeId = t.storeId;
  const till = new TerminalClient(central.url, t.terminalId, t.key);
  await central.admin("POST", "/api/products", { id: productId, sku: "ADMIN-1", name: "Jam", priceCents: 100 });
  await central.admin("POST", "/api/products", { id: productId, sku: "ADMIN-1", name: "Jam", priceCents: 110 });
  await central.admin("POST", "/api/products", { sku: "TAKEN", name: "Other", priceCents: 1 });
  pending = await pendingConflict(till, "Jam (till)");
  // A conflict logged before the policy declared domains: its terminal row breaks them now.
  poisoned = await pendingConflict(till, "Jam (old)");
  await pg.query(`UPDATE conflicts SET terminal_data = jsonb_set(terminal_data, '{price_cents}', '-5') WHERE id = $1`, [
    poisoned,
  ]);
  resolved = await pendingConflict(till, "Jam (resolved)");
  const r = await central.admin("POST", "/api/sync/resolve", { conflictId: resolved, resolution: "KEEP_CENTRAL" });
  expect(r.status).toBe(200);
});

interface Case {
  name: string;
  method?: "GET" | "POST";
  path: string | (() => string);
  body?: unknown | (() => unknown);
  status: number;
  code: string;
  message: RegExp;
}

const V = "VALIDATION_FAILED";
const resolve = (body: () => Record<string, unknown>): Pick<Case, "path" | "body"> => ({
  path: "/api/sync/resolve",
  body,
});
const custom = (id: () => string, row: Record<string, unknown>) =>
  resolve(() => ({
    conflictId: id(),
    resolution: "CUSTOM",
    resolvedData: { sku: "ADMIN-1", name: "Jam", price_cents: 100, ...row },
  }));
const product = (over: Record<string, unknown>) => ({
  path: "/api/products",
  body: { sku: `P-${randomUUID()}`, name: "p", priceCents: 1, ...over },
});
const stock = (over: () => Record<string, unknown>) => ({
  path: "/api/stock",
  body: () => ({ storeId, productId, quantity: 1, ...over() }),
});
const terminalPath = (suffix: string) => () => `/api/terminals/${terminalId}/${suffix}`;

const cases: Case[] = [
  // resolve: the operator's row and the terminal's row obey the table's domains
  {
    name: "resolve: conflictId not a uuid",
    ...resolve(() => ({ conflictId: "c1", resolution: "KEEP_CENTRAL" })),
    status: 400,
    code: V,
    message: /conflictId: must be a UUID/,
  },
  {
    name: "resolve: an unknown conflict",
    ...resolve(() => ({ conflictId: randomUUID(), resolution: "KEEP_CENTRAL" })),
    status: 404,
    code: "NOT_FOUND",
    message: /does not exist/,
  },
  {
    name: "resolve: resolution MAYBE",
    ...resolve(() => ({ conflictId: pending, resolution: "MAYBE" })),
    status: 400,
    code: V,
    message: /resolution/,
  },
  {
    name: "resolve: CUSTOM without resolvedData",
    ...resolve(() => ({ conflictId: pending, resolution: "CUSTOM" })),
    status: 400,
    code: V,
    message: /resolvedData is required when resolution is CUSTOM/,
  },
  {
    name: "resolve: resolvedData an array",
    ...resolve(() => ({ conflictId: pending, resolution: "CUSTOM", resolvedData: [1] })),
    status: 400,
    code: V,
    message: /resolvedData/,
  },
  {
    name: "resolve: CUSTOM negative price",
    ...custom(() => pending, { price_cents: -1 }),
    status: 400,
    code: V,
    message: /resolvedData breaks the rules of products: price_cents: must be an integer from 0/,
  },
  {
    name: "resolve: CUSTOM price 3e9",
    ...custom(() => pending, { price_cents: 3e9 }),
    status: 400,
    code: V,
    message: /price_cents: must be an integer from 0 to 2147483647/,
  },
  {
    name: "resolve: CUSTOM tax 10001 bp",
    ...custom(() => pending, { tax_rate_bp: 10_001 }),
    status: 400,
    code: V,
    message: /tax_rate_bp: must be an integer from 0 to 10000/,
  },
  {
    name: "resolve: CUSTOM name with NUL",
    ...custom(() => pending, { name: "J\u0000" }),
    status: 400,
    code: V,
    message: /name: must not contain a NUL/,
  },
  {
    name: "resolve: CUSTOM name with a lone surrogate",
    ...custom(() => pending, { name: "J\udfff" }),
    status: 400,
    code: V,
    message: /lone UTF-16 surrogate/,
  },
  {
    name: "resolve: CUSTOM sku of a megabyte",
    ...custom(() => pending, { sku: long(1_000_000) }),
    status: 400,
    code: V,
    message: /sku: must be at most 64 characters/,
  },
  {
    name: "resolve: CUSTOM without the price",
    ...custom(() => pending, { price_cents: undefined }),
    status: 400,
    code: V,
    message: /price_cents: is required/,
  },
  {
    name: "resolve: CUSTOM sku another product holds",
    ...custom(() => pending, { sku: "TAKEN" }),
    status: 409,
    code: "CONFLICT",
    message: /central could not store the resolved products row/,
  },
  {
    name: "resolve: TAKE_TERMINAL of a row that breaks the rules",
    ...resolve(() => ({ conflictId: poisoned, resolution: "TAKE_TERMINAL" })),
    status: 400,
    code: V,
    message: /the terminal's row breaks the rules of products: price_cents.*KEEP_CENTRAL or CUSTOM/,
  },
  {
    name: "resolve: a conflict already resolved",
    ...resolve(() => ({ conflictId: resolved, resolution: "TAKE_TERMINAL" })),
    status: 409,
    code: "CONFLICT",
    message: /already RESOLVED/,
  },
  {
    name: "resolve: a reason of 501 characters",
    ...resolve(() => ({ conflictId: pending, resolution: "KEEP_CENTRAL", reason: long(501) })),
    status: 400,
    code: V,
    message: /reason/,
  },
  // catalogue
  {
    name: "product: priceCents 3e9",
    ...product({ priceCents: 3e9 }),
    status: 400,
    code: V,
    message: /priceCents: must be an integer from 0 to 2147483647/,
  },
  { name: "product: priceCents -1", ...product({ priceCents: -1 }), status: 400, code: V, message: /priceCents/ },
  { name: "product: priceCents 1.5", ...product({ priceCents: 1.5 }), status: 400, code: V, message: /priceCents/ },
  {
    name: "product: taxRateBp 10001",
    ...product({ taxRateBp: 10_001 }),
    status: 400,
    code: V,
    message: /taxRateBp: must be an integer from 0 to 10000/,
  },
  { name: "product: sku empty", ...product({ sku: "  " }), status: 400, code: V, message: /sku is required/ },
  {
    name: "product: sku 65 characters",
    ...product({ sku: long(65) }),
    status: 400,
    code: V,
    message: /sku: must be at most 64 characters/,
  },
  { name: "product: sku of a megabyte", ...product({ sku: long(1_000_000) }), status: 400, code: V, message: /sku/ },
  {
    name: "product: name with NUL",
    ...product({ name: "a\u0000" }),
    status: 400,
    code: V,
    message: /name: must not contain a NUL/,
  },
  {
    name: "product: name with a lone surrogate",
    ...product({ name: "\ud800" }),
    status: 400,
    code: V,
    message: /lone UTF-16 surrogate/,
  },
  { name: "product: id not a uuid", ...product({ id: "p1" }), status: 400, code: V, message: /id: must be a UUID/ },
  {
    name: "product: categoryId not a uuid",
    ...product({ categoryId: "c" }),
    status: 400,
    code: V,
    message: /categoryId/,
  },
  { name: "product: active 'yes'", ...product({ active: "yes" }), status: 400, code: V, message: /active/ },
  {
    name: "product: sku another product holds",
    ...product({ sku: "TAKEN" }),
    status: 409,
    code: "CONFLICT",
    message: /belongs to another product/,
  },
  // stock
  {
    name: "stock: an unknown store",
    ...stock(() => ({ storeId: randomUUID() })),
    status: 404,
    code: "NOT_FOUND",
    message: /store .* does not exist/,
  },
  {
    name: "stock: an unknown product",
    ...stock(() => ({ productId: randomUUID() })),
    status: 404,
    code: "NOT_FOUND",
    message: /product .* does not exist/,
  },
  {
    name: "stock: quantity 1e10",
    ...stock(() => ({ quantity: 1e10 })),
    status: 400,
    code: V,
    message: /quantity: must be an integer from -2147483648 to 2147483647/,
  },
  { name: "stock: quantity 1.5", ...stock(() => ({ quantity: 1.5 })), status: 400, code: V, message: /quantity/ },
  {
    name: "stock: storeId not a uuid",
    ...stock(() => ({ storeId: "s" })),
    status: 400,
    code: V,
    message: /storeId: must be a UUID/,
  },
  // provisioning
  {
    name: "store: name empty",
    path: "/api/stores",
    body: { name: "" },
    status: 400,
    code: V,
    message: /name is required/,
  },
  {
    name: "store: name with NUL",
    path: "/api/stores",
    body: { name: "Shop\u0000" },
    status: 400,
    code: V,
    message: /name: must not contain a NUL/,
  },
  {
    name: "store: id taken",
    path: "/api/stores",
    body: () => ({ id: storeId, name: "Again" }),
    status: 409,
    code: "CONFLICT",
    message: /already exists/,
  },
  {
    name: "terminal: an unknown store",
    path: "/api/terminals",
    body: () => ({ name: "T", storeId: randomUUID() }),
    status: 404,
    code: "NOT_FOUND",
    message: /create it with POST \/api\/stores/,
  },
  {
    name: "terminal: name with a lone surrogate",
    path: "/api/terminals",
    body: () => ({ name: "\udc00", storeId }),
    status: 400,
    code: V,
    message: /lone UTF-16 surrogate/,
  },
  {
    name: "terminal: id taken",
    path: "/api/terminals",
    body: () => ({ id: terminalId, name: "T", storeId }),
    status: 409,
    code: "CONFLICT",
    message: /already exists/,
  },
  // rotation, disable, pause
  {
    name: "rotate-key: graceSeconds -1",
    path: terminalPath("rotate-key"),
    body: { graceSeconds: -1 },
    status: 400,
    code: V,
    message: /graceSeconds/,
  },
  {
    name: "rotate-key: graceSeconds beyond seven days",
    path: terminalPath("rotate-key"),
    body: { graceSeconds: 604_801 },
    status: 400,
    code: V,
    message: /graceSeconds/,
  },
  {
    name: "rotate-key: graceSeconds as text",
    path: terminalPath("rotate-key"),
    body: { graceSeconds: "60" },
    status: 400,
    code: V,
    message: /graceSeconds/,
  },
  {
    name: "rotate-key: an unknown field",
    path: terminalPath("rotate-key"),
    body: { grace: 60 },
    status: 400,
    code: V,
    message: /grace/,
  },
  {
    name: "rotate-key: an unknown terminal",
    path: `/api/terminals/${randomUUID()}/rotate-key`,
    body: {},
    status: 404,
    code: "NOT_FOUND",
    message: /does not exist/,
  },
  {
    name: "rotate-key: an id that is neither a uuid nor a terminal's code",
    path: "/api/terminals/till-1/rotate-key",
    body: {},
    status: 404,
    code: "NOT_FOUND",
    message: /terminal till-1 does not exist \(neither an id nor a code\)/,
  },
  {
    name: "disable: an unknown terminal",
    path: `/api/terminals/${randomUUID()}/disable`,
    body: {},
    status: 404,
    code: "NOT_FOUND",
    message: /does not exist/,
  },
  {
    name: "pause: an unknown terminal",
    path: `/api/terminals/${randomUUID()}/pause`,
    body: {},
    status: 404,
    code: "NOT_FOUND",
    message: /does not exist/,
  },
  {
    name: "pause: a reason of 501 characters",
    path: terminalPath("pause"),
    body: { reason: long(501) },
    status: 400,
    code: V,
    message: /reason/,
  },
  {
    name: "pause: a reason with NUL",
    path: terminalPath("pause"),
    body: { reason: "\u0000" },
    status: 400,
    code: V,
    message: /reason: must not contain a NUL/,
  },
  {
    name: "pause: an unknown field",
    path: terminalPath("pause"),
    body: { until: "tomorrow" },
    status: 400,
    code: V,
    message: /until/,
  },
  {
    name: "resume: an unknown terminal",
    path: `/api/terminals/${randomUUID()}/resume`,
    body: {},
    status: 404,
    code: "NOT_FOUND",
    message: /does not exist/,
  },
  {
    name: "resume: a body with fields",
    path: terminalPath("resume"),
    body: { now: true },
    status: 400,
    code: V,
    message: /now/,
  },
  // triggers, the stop, schedules, status
  {
    name: "sync/all: both a terminal and all",
    path: "/api/sync/all",
    body: () => ({ terminalId, allTerminals: true }),
    status: 400,
    code: V,
    message: /either \{ terminalId \} or \{ allTerminals: true \}/,
  },
  { name: "sync/all: neither", path: "/api/sync/all", body: {}, status: 400, code: V, message: /either/ },
  {
    name: "sync/all: an unknown terminal",
    path: "/api/sync/all",
    body: () => ({ terminalId: randomUUID() }),
    status: 404,
    code: "NOT_FOUND",
    message: /does not exist/,
  },
  {
    name: "sync/all: allTerminals false",
    path: "/api/sync/all",
    body: { allTerminals: false },
    status: 400,
    code: V,
    message: /allTerminals must be true/,
  },
  {
    name: "emergency-stop: a reason of 501 characters",
    path: "/api/sync/emergency-stop",
    body: { reason: long(501) },
    status: 400,
    code: V,
    message: /reason: must be at most 500 characters/,
  },
  {
    name: "emergency-stop: a reason with NUL",
    path: "/api/sync/emergency-stop",
    body: { reason: "stop\u0000" },
    status: 400,
    code: V,
    message: /reason: must not contain a NUL/,
  },
  {
    name: "emergency-stop: a reason that is a number",
    path: "/api/sync/emergency-stop",
    body: { reason: 5 },
    status: 400,
    code: V,
    message: /reason: must be text/,
  },
  {
    name: "schedules: action explode",
    path: "/api/sync/schedules",
    body: { action: "explode" },
    status: 400,
    code: V,
    message: /action must be one of/,
  },
  {
    name: "schedules: a cron of one field",
    path: "/api/sync/schedules",
    body: { action: "create", cron: "often" },
    status: 400,
    code: V,
    message: /cron must have 5 fields/,
  },
  {
    name: "schedules: a scheduleId with a slash",
    path: "/api/sync/schedules",
    body: { action: "pause", scheduleId: "../x" },
    status: 400,
    code: V,
    message: /scheduleId/,
  },
  {
    name: "status: terminalId not a uuid",
    method: "GET",
    path: "/api/sync/status?terminalId=x",
    status: 400,
    code: V,
    message: /terminalId: must be a UUID/,
  },
  {
    name: "status: an unknown terminal",
    method: "GET",
    path: () => `/api/sync/status?terminalId=${randomUUID()}`,
    status: 404,
    code: "NOT_FOUND",
    message: /does not exist/,
  },
  {
    name: "conflicts: status MAYBE",
    method: "GET",
    path: "/api/conflicts?status=MAYBE",
    status: 400,
    code: V,
    message: /status/,
  },
  {
    name: "a wrong admin token",
    method: "GET",
    path: "/api/terminals",
    status: 401,
    code: "UNAUTHORIZED",
    message: /that token was not accepted/,
  },
];

async function send(c: Case): Promise<RawAnswer> {
  const path = typeof c.path === "function" ? c.path() : c.path;
  const body = typeof c.body === "function" ? (c.body as () => unknown)() : c.body;
  const token = c.name === "a wrong admin token" ? `${central.adminToken}x` : central.adminToken;
  return jsonRequest(central.url, c.method ?? "POST", path, token, body);
}

describe("admin endpoints: hostile input is a 4xx naming what is wrong, and nothing changes", () => {
  it.each(cases)("$name", async (c) => {
    const before = await dataChecksum(pg);
    const res = await send(c);
    expect(res.status).toBe(c.status);
    expect(errorOf(res)).toMatchObject({ code: c.code });
    expect(errorOf(res).message).toMatch(c.message);
    expect(await dataChecksum(pg)).toEqual(before);
    await expectHealthy(central.url);
  });

  it("still resolves the pending conflict with a valid CUSTOM row afterwards", async () => {
    const r = await central.admin("POST", "/api/sync/resolve", {
      conflictId: pending,
      resolution: "CUSTOM",
      resolvedData: { sku: "ADMIN-1", name: "Jam", price_cents: 130 },
    });
    expect(r.status).toBe(200);
    expect((await pg.query(`SELECT price_cents FROM products WHERE id = $1`, [productId])).rows).toEqual([
      { price_cents: 130 },
    ]);
  });
});
