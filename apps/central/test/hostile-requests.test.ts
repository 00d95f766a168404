import { gzipSync } from "node:zlib";
import { change } from "@tillsync/testkit";
import { useTestCentral } from "../testing";
import { dataChecksum, errorOf, expectHealthy, jsonRequest, long, rawRequest, type RawAnswer } from "./support/hostile";

/**
 * Hostile requests to the terminal endpoints: pull, acknowledge, heartbeat, the push's
 * request level (media type, charset, content encoding, size) and the credentials. Each is
 * a 4xx with the usual error body naming what was wrong (never a 5xx), no data table
 * changes, and central still answers /health. One central for the file.
 */
const { central, pg } = useTestCentral("hostile_requests", {}, { hub: { authFailureBurst: 1000 } });

let terminalId: string;
let key: string;
let otherTerminalId: string;

beforeAll(async () => {
  const t = await central.provisionTerminal();
  terminalId = t.terminalId;
  key = t.key;
  otherTerminalId = (await central.provisionTerminal()).terminalId;
});

interface Case {
  name: string;
  send: () => Promise<RawAnswer>;
  status: number;
  code: string;
  message: RegExp;
}

const get = (path: string) => () => jsonRequest(central.url, "GET", path, key);
const post = (path: string, body: unknown) => () => jsonRequest(central.url, "POST", path, key, body);
const pushBody = () => JSON.stringify({ terminalId, changes: [change("customers", { name: "x" })] });
const rawPush = (headers: Record<string, string>, body: string | Buffer) => () =>
  rawRequest(central.url, {
    method: "POST",
    path: "/api/sync/push",
    headers: { authorization: `Bearer ${key}`, ...headers },
    body,
  });

const V = "VALIDATION_FAILED";
const CURSOR = /must be a cursor returned by \/api\/sync\/pull/;
const cases: Case[] = [
  // pull
  { name: "pull since=abc", send: get("/api/sync/pull?since=abc"), status: 400, code: V, message: /since: .*cursor/ },
  { name: "pull since=-1", send: get("/api/sync/pull?since=-1"), status: 400, code: V, message: CURSOR },
  {
    name: "pull since beyond bigint (2^63)",
    send: get("/api/sync/pull?since=9223372036854775808"),
    status: 400,
    code: V,
    message: /beyond any position/,
  },
  {
    name: "pull since of 19 nines",
    send: get("/api/sync/pull?since=9999999999999999999"),
    status: 400,
    code: V,
    message: /beyond any position/,
  },
  {
    name: "pull since of 25 digits",
    send: get(`/api/sync/pull?since=${"1".repeat(25)}`),
    status: 400,
    code: V,
    message: CURSOR,
  },
  {
    name: "pull since given twice",
    send: get("/api/sync/pull?since=1&since=2"),
    status: 400,
    code: V,
    message: /since/,
  },
  { name: "pull since with a NUL", send: get("/api/sync/pull?since=1%00"), status: 400, code: V, message: CURSOR },
  { name: "pull since 1e3", send: get("/api/sync/pull?since=1e3"), status: 400, code: V, message: CURSOR },
  { name: "pull limit=0", send: get("/api/sync/pull?limit=0"), status: 400, code: V, message: /limit/ },
  { name: "pull limit=5001", send: get("/api/sync/pull?limit=5001"), status: 400, code: V, message: /limit/ },
  { name: "pull limit=abc", send: get("/api/sync/pull?limit=abc"), status: 400, code: V, message: /limit/ },
  { name: "pull limit=1.5", send: get("/api/sync/pull?limit=1.5"), status: 400, code: V, message: /limit/ },
  {
    name: "pull entityType=widgets",
    send: get("/api/sync/pull?entityType=widgets"),
    status: 400,
    code: V,
    message: /entityType/,
  },
  {
    name: "pull entityType given twice",
    send: get("/api/sync/pull?entityType=products&entityType=brands"),
    status: 400,
    code: V,
    message: /entityType/,
  },
  // acknowledge
  {
    name: "acknowledge naming both bad fields",
    send: post("/api/sync/acknowledge", { terminalId: "T", cursor: "9223372036854775808" }),
    status: 400,
    code: V,
    message: /terminalId: must be a UUID; cursor: .*beyond any position/,
  },
  {
    name: "acknowledge cursor 'abc'",
    send: () => jsonRequest(central.url, "POST", "/api/sync/acknowledge", key, { terminalId, cursor: "abc" }),
    status: 400,
    code: V,
    message: /cursor: must be a cursor/,
  },
  {
    name: "acknowledge cursor beyond bigint, own terminal",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/acknowledge", key, { terminalId, cursor: "99999999999999999999" }),
    status: 400,
    code: V,
    message: /cursor/,
  },
  {
    name: "acknowledge cursor a number",
    send: () => jsonRequest(central.url, "POST", "/api/sync/acknowledge", key, { terminalId, cursor: 5 }),
    status: 400,
    code: V,
    message: /cursor/,
  },
  {
    name: "acknowledge cursor missing",
    send: () => jsonRequest(central.url, "POST", "/api/sync/acknowledge", key, { terminalId }),
    status: 400,
    code: V,
    message: /cursor/,
  },
  {
    name: "acknowledge epoch not a uuid",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/acknowledge", key, { terminalId, cursor: "0", epoch: "feed-1" }),
    status: 400,
    code: V,
    message: /epoch: must be a UUID/,
  },
  {
    name: "acknowledge epoch a number",
    send: () => jsonRequest(central.url, "POST", "/api/sync/acknowledge", key, { terminalId, cursor: "0", epoch: 7 }),
    status: 400,
    code: V,
    message: /epoch/,
  },
  {
    name: "acknowledge for another terminal",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/acknowledge", key, { terminalId: otherTerminalId, cursor: "0" }),
    status: 403,
    code: "FORBIDDEN",
    message: /this key belongs to terminal/,
  },
  {
    name: "acknowledge terminalId not a uuid",
    send: () => jsonRequest(central.url, "POST", "/api/sync/acknowledge", key, { terminalId: "x", cursor: "0" }),
    status: 400,
    code: V,
    message: /terminalId: must be a UUID/,
  },
  {
    name: "acknowledge body an array",
    send: () => jsonRequest(central.url, "POST", "/api/sync/acknowledge", key, [terminalId, "0"]),
    status: 400,
    code: V,
    message: /acknowledge request/,
  },
  // heartbeat
  {
    name: "heartbeat status dancing",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/heartbeat", key, { terminalId, status: "dancing", outbox: {} }),
    status: 400,
    code: V,
    message: /status/,
  },
  {
    name: "heartbeat status missing",
    send: () => jsonRequest(central.url, "POST", "/api/sync/heartbeat", key, { terminalId, outbox: {} }),
    status: 400,
    code: V,
    message: /status/,
  },
  {
    name: "heartbeat outbox of an unknown table",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/heartbeat", key, {
        terminalId,
        status: "idle",
        outbox: { widgets: { pending: 1, failed: 0, synced: 0, conflicts: 0 } },
      }),
    status: 400,
    code: V,
    message: /outbox/,
  },
  {
    name: "heartbeat negative counts",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/heartbeat", key, {
        terminalId,
        status: "idle",
        outbox: { customers: { pending: -1, failed: 0, synced: 0, conflicts: 0 } },
      }),
    status: 400,
    code: V,
    message: /outbox\.customers\.pending/,
  },
  {
    name: "heartbeat fractional counts",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/heartbeat", key, {
        terminalId,
        status: "idle",
        outbox: { customers: { pending: 1.5, failed: 0, synced: 0, conflicts: 0 } },
      }),
    status: 400,
    code: V,
    message: /outbox\.customers\.pending/,
  },
  {
    name: "heartbeat counts as text",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/heartbeat", key, {
        terminalId,
        status: "idle",
        outbox: { customers: { pending: "1", failed: 0, synced: 0, conflicts: 0 } },
      }),
    status: 400,
    code: V,
    message: /outbox\.customers\.pending/,
  },
  {
    name: "heartbeat outbox an array",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/heartbeat", key, { terminalId, status: "idle", outbox: [] }),
    status: 400,
    code: V,
    message: /outbox/,
  },
  {
    name: "heartbeat for another terminal",
    send: () =>
      jsonRequest(central.url, "POST", "/api/sync/heartbeat", key, {
        terminalId: otherTerminalId,
        status: "idle",
        outbox: {},
      }),
    status: 403,
    code: "FORBIDDEN",
    message: /this key belongs to terminal/,
  },
  {
    name: "heartbeat broken JSON",
    send: () => jsonRequest(central.url, "POST", "/api/sync/heartbeat", key, '{"terminalId"'),
    status: 400,
    code: V,
    message: /not valid JSON/,
  },
  // the push's request level
  {
    name: "push with an unknown charset",
    send: rawPush({ "content-type": "application/json; charset=klingon" }, pushBody()),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: /charset.*send JSON in UTF-8/i,
  },
  {
    name: "push with charset latin1",
    send: rawPush({ "content-type": "application/json; charset=iso-8859-1" }, pushBody()),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: /charset/i,
  },
  {
    name: "push with an unknown Content-Encoding",
    send: rawPush({ "content-type": "application/json", "content-encoding": "zstd-9000" }, pushBody()),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: /encoding/i,
  },
  {
    name: "push gzip-labelled but not gzip",
    send: rawPush({ "content-type": "application/json", "content-encoding": "gzip" }, pushBody()),
    status: 400,
    code: V,
    message: /malformed request|not valid JSON/,
  },
  {
    name: "push as text/plain",
    send: rawPush({ "content-type": "text/plain" }, pushBody()),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: /send the body as JSON \(content-type: application\/json\), not text\/plain/,
  },
  {
    name: "push as a form",
    send: rawPush({ "content-type": "application/x-www-form-urlencoded" }, "terminalId=x"),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: /application\/json/,
  },
  {
    name: "push without a content type",
    send: rawPush({}, pushBody()),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: /send the body as JSON .*not untyped/,
  },
  {
    name: "push larger than the body limit",
    send: rawPush({ "content-type": "application/json" }, `{"pad":"${long(11 * 1024 * 1024)}"}`),
    status: 413,
    code: "PAYLOAD_TOO_LARGE",
    message: /too large; send smaller batches/,
  },
  {
    name: "push gzip that inflates beyond the limit",
    send: rawPush(
      { "content-type": "application/json", "content-encoding": "gzip" },
      gzipSync(`{"pad":"${long(11 * 1024 * 1024)}"}`),
    ),
    status: 413,
    code: "PAYLOAD_TOO_LARGE",
    message: /too large/,
  },
  {
    name: "push with invalid UTF-8 bytes",
    send: rawPush(
      { "content-type": "application/json" },
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    ),
    status: 400,
    code: V,
    message: /invalid push request/,
  },
  // credentials
  {
    name: "no Authorization",
    send: () => rawRequest(central.url, { method: "GET", path: "/api/sync/pull" }),
    status: 401,
    code: "UNAUTHORIZED",
    message: /Authorization: Bearer/,
  },
  {
    name: "an empty bearer",
    send: () =>
      rawRequest(central.url, { method: "GET", path: "/api/sync/pull", headers: { authorization: "Bearer " } }),
    status: 401,
    code: "UNAUTHORIZED",
    message: /Bearer/,
  },
  {
    name: "Basic credentials",
    send: () =>
      rawRequest(central.url, {
        method: "GET",
        path: "/api/sync/pull",
        headers: { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
      }),
    status: 401,
    code: "UNAUTHORIZED",
    message: /Bearer/,
  },
  {
    name: "an unknown key",
    send: () => jsonRequest(central.url, "GET", "/api/sync/pull", "tsk_unknown-key-unknown-key"),
    status: 401,
    code: "UNAUTHORIZED",
    message: /unknown, revoked/,
  },
  {
    name: "a 10 kB key",
    send: () => jsonRequest(central.url, "GET", "/api/sync/pull", long(10_000)),
    status: 401,
    code: "UNAUTHORIZED",
    message: /unknown, revoked/,
  },
  {
    name: "the admin token as a terminal key",
    send: () => jsonRequest(central.url, "GET", "/api/sync/pull", central.adminToken),
    status: 401,
    code: "UNAUTHORIZED",
    message: /unknown, revoked/,
  },
  {
    name: "a terminal key on an admin endpoint",
    send: () => jsonRequest(central.url, "GET", "/api/terminals", key),
    status: 401,
    code: "UNAUTHORIZED",
    message: /that token was not accepted/,
  },
  // routes
  {
    name: "GET on the push endpoint",
    send: () => jsonRequest(central.url, "GET", "/api/sync/push", central.adminToken),
    status: 404,
    code: "NOT_FOUND",
    message: /no route for GET/,
  },
  {
    name: "PUT on the push endpoint",
    send: () => jsonRequest(central.url, "PUT", "/api/sync/push", central.adminToken, {}),
    status: 404,
    code: "NOT_FOUND",
    message: /no route for PUT/,
  },
  {
    // Express matches paths case-insensitively; the route table does not, and neither may the
    // heartbeat's own chain, mounted before it (heartbeat-mount.ts).
    name: "the heartbeat at an upper-case path",
    send: () =>
      jsonRequest(central.url, "POST", "/API/SYNC/HEARTBEAT", key, {
        terminalId,
        status: "IDLE",
        outbox: {},
      }),
    status: 404,
    code: "NOT_FOUND",
    message: /no route for POST/,
  },
  {
    name: "a path that does not decode",
    send: () => jsonRequest(central.url, "POST", "/api/terminals/%E0%A4%A/disable", central.adminToken, {}),
    status: 400,
    code: V,
    message: /malformed request/,
  },
];

describe("terminal endpoints: hostile requests are 4xx naming what is wrong, and nothing changes", () => {
  it.each(cases)("$name", async ({ send, status, code, message }) => {
    const before = await dataChecksum(pg);
    const res = await send();
    expect(res.status).toBe(status);
    expect(errorOf(res)).toMatchObject({ code });
    expect(errorOf(res).message).toMatch(message);
    expect(await dataChecksum(pg)).toEqual(before);
    await expectHealthy(central.url);
  });

  it("accepts a gzip-encoded push (the encodings central reads still work)", async () => {
    const body = gzipSync(pushBody());
    const res = await rawPush({ "content-type": "application/json", "content-encoding": "gzip" }, body)();
    expect(res.status).toBe(200);
  });
});
