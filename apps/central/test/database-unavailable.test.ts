import { Client } from "pg";
import { PROTOCOL_VERSION, syncPullAnswerSchema } from "@tillsync/shared";
import {
  change,
  connectTestSocket,
  startPgRelay,
  TerminalClient,
  waitFor,
  type PgRelay,
  type TestSocket,
} from "@tillsync/testkit";
import type { RunningCentral } from "../src/main";
import { isDatabaseUnavailable } from "../src/store/database-unavailable";
import { useTestCentral } from "../testing";

/**
 * Central up, its database gone (a PostgreSQL restart or failover): every sync request is a 503
 * DATABASE_UNAVAILABLE that says when to ask again, over HTTP and over the socket, never a 500
 * that the agent would answer with its failure backoff (G9: back within seconds of the
 * database). Nothing is applied meanwhile. Instance B reaches the database through a relay the
 * test cuts; A, on the database directly, sets up and checks.
 */
const { central: a, pg } = useTestCentral("dbgone");

describe("central while its database does not answer", () => {
  let relay: PgRelay;
  let b: RunningCentral;
  let bUrl: string;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    relay = await startPgRelay();
    b = await a.startInstance({ config: { DATABASE_URL: relay.via(a.databaseUrl) } });
    bUrl = `http://127.0.0.1:${b.port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    relay.refuse = false;
    await b?.stop();
    await relay?.close();
  });

  it("answers pushes and pulls 503 DATABASE_UNAVAILABLE with Retry-After, applies nothing, and serves again once it is back", async () => {
    const t = await a.provisionTerminal();
    const onB = new TerminalClient(bUrl, t.terminalId, t.key);
    // B verifies the key while the database answers (the key cache keeps it for the outage).
    expect((await onB.raw("GET", "/api/sync/pull?since=0")).status).toBe(200);
    const s = connectTestSocket(bUrl, t);
    sockets.push(s);
    await s.ready;

    relay.refuse = true;
    relay.cut();
    const order = change("sale_orders", { store_id: t.storeId, status: "COMPLETED", total_cents: 500 });
    const res = await fetch(`${bUrl}/api/sync/push`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${t.key}`,
        "content-type": "application/json",
        "x-tillsync-protocol": String(PROTOCOL_VERSION),
      },
      body: JSON.stringify({ terminalId: t.terminalId, changes: [order] }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(await res.json()).toMatchObject({
      error: { code: "DATABASE_UNAVAILABLE", retryable: true, details: { retryAfterSeconds: 2 } },
    });
    expect(await onB.raw("GET", "/api/sync/pull?since=0")).toMatchObject({
      status: 503,
      body: { error: { code: "DATABASE_UNAVAILABLE" } },
    });
    // Over the socket: the same error body, so the agent waits instead of trying HTTP too.
    const overSocket = syncPullAnswerSchema.parse(
      await s.socket.timeout(5_000).emitWithAck("sync:pull", { terminalId: t.terminalId, since: "0" }),
    );
    expect(overSocket).toMatchObject({ ok: false, error: { code: "DATABASE_UNAVAILABLE" } });
    expect((await pg.query(`SELECT 1 FROM sale_orders WHERE id = $1`, [order.entityId])).rowCount).toBe(0);

    relay.refuse = false;
    const results = await waitFor(
      async () => {
        const r = await onB.raw("POST", "/api/sync/push", { terminalId: t.terminalId, changes: [order] });
        return r.status === 200 ? (r.body.results as Array<{ status: string }>) : undefined;
      },
      { what: "B pushes again once the database answers" },
    );
    // Applied now, not a duplicate of something the outage half-applied.
    expect(results).toMatchObject([{ status: "APPLIED" }]);
  });

  it("tells a missing database from a statement's own failure, on real errors", async () => {
    const refused = new Client({ connectionString: relay.via(a.databaseUrl), connectionTimeoutMillis: 2_000 });
    relay.refuse = true;
    const connectErr = await refused.connect().then(
      () => undefined,
      (err: unknown) => err,
    );
    relay.refuse = false;
    expect(connectErr).toBeDefined();
    expect(isDatabaseUnavailable(connectErr)).toBe(true);
    const lost = new Client({ connectionString: relay.via(a.databaseUrl) });
    lost.on("error", () => undefined);
    await lost.connect();
    relay.cut();
    const lostErr = await lost.query("SELECT 1").then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isDatabaseUnavailable(lostErr)).toBe(true);
    // A statement the database refused (an undefined table, a bad value) is not an outage.
    const statementErr = await pg.query("SELECT * FROM no_such_table").then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(statementErr).toMatchObject({ code: "42P01" });
    expect(isDatabaseUnavailable(statementErr)).toBe(false);
    expect(isDatabaseUnavailable(new Error("invalid input syntax for type uuid"))).toBe(false);
    // Wrapped, as Prisma's driver adapter wraps what node-postgres threw.
    expect(isDatabaseUnavailable({ message: "query failed", cause: { cause: connectErr } })).toBe(true);
  });
});
