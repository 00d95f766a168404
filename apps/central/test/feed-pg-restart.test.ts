import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { Client } from "pg";
import {
  connectTestSocket,
  startPrivatePostgres,
  TEST_REDIS_URL,
  testRedisPrefix,
  waitFor,
  type PrivatePostgres,
  type TestSocket,
} from "@tillsync/testkit";
import { loadCentralConfig } from "../src/config";
import { startCentral, type RunningCentral } from "../src/main";

/**
 * Central under a real PostgreSQL restart (issue 11, defect 5): a PostgreSQL of this test's own
 * is stopped and started again under a running central, and a price change afterwards still
 * reaches a connected till as DATA_CHANGED, without restarting central.
 */
describe("DATA_CHANGED across a PostgreSQL restart", () => {
  let server: PrivatePostgres;
  let central: RunningCentral;
  let url: string;
  const adminToken = `admin-${randomBytes(12).toString("hex")}`;
  const prefix = testRedisPrefix("pgrestart");
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    server = await startPrivatePostgres();
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE tillsync_restart`);
    await admin.end();
    const config = loadCentralConfig({
      DATABASE_URL: server.urlOf("tillsync_restart"),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      PORT: "0",
      ADMIN_TOKEN: adminToken,
      LOG_LEVEL: "silent",
    });
    central = await startCentral(config, { hub: { restartTriggerDelayMs: 0 } });
    url = `http://127.0.0.1:${central.port}`;
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await central?.stop();
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await server?.destroy();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as unknown };
  };
  const sql = async (text: string, params: unknown[]) => {
    const c = new Client({ connectionString: server.urlOf("tillsync_restart") });
    await c.connect();
    try {
      await c.query(text, params);
    } finally {
      await c.end();
    }
  };
  const dataChanged = (s: TestSocket) => s.triggers.filter((t) => t.reason === "DATA_CHANGED").length;

  it("hears a price change after PostgreSQL restarted, with /ready 503 while it was down", async () => {
    const store = (await api("POST", "/api/stores", { name: "Restart store" })).body as { store: { id: string } };
    const made = (await api("POST", "/api/terminals", { name: "Till", storeId: store.store.id })).body as {
      terminal: { id: string };
      key: string;
    };
    const socket = connectTestSocket(url, { terminalId: made.terminal.id, key: made.key }, { autoAck: true });
    sockets.push(socket);
    await socket.ready;
    const id = randomUUID();
    await sql(`INSERT INTO products (id, sku, name, price_cents) VALUES ($1, $2, 'Soap', 300)`, [id, `R-${id}`]);
    await waitFor(() => dataChanged(socket) === 1, { what: "DATA_CHANGED before the restart" });

    await server.stop();
    await waitFor(async () => (await fetch(`${url}/ready`)).status === 503, { what: "/ready 503 while down" });
    await server.start();
    await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, { what: "/ready 200 again" });

    await sql(`UPDATE products SET price_cents = 350 WHERE id = $1`, [id]);
    await waitFor(() => dataChanged(socket) === 2, { what: "DATA_CHANGED after the restart" });
    expect(socket.socket.connected).toBe(true);
  });
});
