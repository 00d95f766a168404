import { randomBytes } from "node:crypto";
import { createTestDatabase, removeRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from "@tillsync/testkit";
import { loadCentralConfig, type CentralConfig } from "../src/config";
import { startCentral, type RunningCentral, type StartOptions } from "../src/main";

export interface TestCentral {
  url: string;
  adminToken: string;
  databaseUrl: string;
  running: RunningCentral;
  redisPrefix: string;
  config: CentralConfig;
  /**
   * Another central instance on the same database, Redis prefix and admin token (a second
   * node of a cluster, or this one restarted: pass `port: running.port` after stopping it).
   * The caller stops it. `config` overrides some of this central's configuration (e.g. its
   * DATABASE_URL through a relay the test controls).
   */
  startInstance(opts?: { port?: number; config?: Partial<CentralConfig> } & StartOptions): Promise<RunningCentral>;
  /** Calls an admin endpoint; returns status and parsed body. */
  admin<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** Creates a store and a terminal in it; returns ids and the terminal key. */
  provisionTerminal(opts?: {
    storeId?: string;
    name?: string;
  }): Promise<{ storeId: string; terminalId: string; key: string }>;
  /** Creates a named operator through the API (as the owner); returns its id and one-time token. */
  createOperator(name: string, role: "viewer" | "operator" | "admin"): Promise<{ id: string; token: string }>;
  stop(): Promise<void>;
}

/** Central on port 0 with its own PostgreSQL database and Redis key prefix. */
export async function startTestCentral(
  label = "central",
  extra: Partial<CentralConfig> = {},
  options: StartOptions = {},
): Promise<TestCentral> {
  const database = await createTestDatabase(label);
  const adminToken = `admin-${randomBytes(12).toString("hex")}`;
  // Parsed like production's environment, so the defaults are the real ones.
  const config: CentralConfig = {
    ...loadCentralConfig({
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: testRedisPrefix(label),
      PORT: "0",
      ADMIN_TOKEN: adminToken,
      LOG_LEVEL: "silent",
      // A schedule firing on the wall clock (every six hours) would make tests depend on the
      // hour they run at; tests of the default schedule turn it back on through `extra`.
      DEFAULT_SCHEDULE: "off",
    }),
    ...extra,
  };
  const running = await startCentral(config, options);
  const url = `http://127.0.0.1:${running.port}`;
  const admin = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return {
    url,
    adminToken,
    databaseUrl: database.url,
    running,
    redisPrefix: config.REDIS_PREFIX,
    config,
    startInstance: ({ port, config: overrides, ...opts } = {}) =>
      startCentral({ ...config, ...overrides, PORT: port ?? 0 }, { ...options, ...opts }),
    admin,
    async provisionTerminal(opts = {}) {
      let storeId = opts.storeId;
      if (!storeId) {
        const s = await admin<{ store: { id: string } }>("POST", "/api/stores", { name: "Test store" });
        storeId = s.body.store.id;
      }
      const t = await admin<{ terminal: { id: string }; key: string }>("POST", "/api/terminals", {
        name: opts.name ?? "Till",
        storeId,
      });
      if (t.status !== 201) throw new Error(`provisionTerminal: ${JSON.stringify(t.body)}`);
      return { storeId, terminalId: t.body.terminal.id, key: t.body.key };
    },
    async createOperator(name, role) {
      const r = await admin<{ operator: { id: string }; token: string }>("POST", "/api/operators", { name, role });
      if (r.status !== 201) throw new Error(`createOperator: ${JSON.stringify(r.body)}`);
      return { id: r.body.operator.id, token: r.body.token };
    },
    /** Stops central, drops its database and deletes every Redis key under its prefix. */
    async stop() {
      await running.stop();
      await database.drop();
      await removeRedisPrefix(config.REDIS_PREFIX, config.REDIS_URL);
    },
  };
}
