import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { Client } from "pg";
import { syncRunResponseSchema } from "@tillsync/shared";
import {
  connectTestSocket,
  TEST_REDIS_URL,
  TerminalClient,
  testRedisPrefix,
  waitFor,
  type TestSocket,
  startPrivateRedis,
  type PrivateRedis,
} from "@tillsync/testkit";
import { bullConnection, queuePrefix } from "../src/hub/bull-connection";
import { RedisRecovery } from "../src/hub/redis-recovery";
import { createLogger } from "../src/observability/logger";
import { startTestCentral, type TestCentral } from "../testing";
import { deleteRedisPrefix } from "./support/redis-keys";

/**
 * Issue 11 defect 6: Redis restarted empty (no persistence) under a running central. The hub's
 * job schedulers (heartbeat sweep, cleanup, every schedule) come back from PostgreSQL, the
 * sweep turns silent terminals OFFLINE again, an open run still ends, and the reconnect causes
 * no burst of triggers.
 */
describe("Redis restarted empty under a running central", () => {
  let redis: PrivateRedis;
  let central: TestCentral;
  let pg: Client;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    central = await startTestCentral(
      "redis_empty",
      { REDIS_URL: redis.url, HEARTBEAT_TIMEOUT_S: 5 },
      { hub: { sweepEveryMs: 300, restartTriggerDelayMs: 0, manualRunTimeoutS: 3, redisCheckMs: 200 } },
    );
    pg = new Client({ connectionString: central.databaseUrl });
    await pg.connect();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await pg?.end();
    await central?.stop();
    await redis?.stop();
  });

  async function schedulers(): Promise<string[]> {
    const q = new Queue("hub", { connection: bullConnection(redis.url), prefix: queuePrefix(central.redisPrefix) });
    try {
      return (await q.getJobSchedulers(0, -1)).map((j) => j.key).sort();
    } finally {
      await q.close();
    }
  }

  const status = async (id: string) =>
    (
      await central.admin<{ terminals: Array<{ id: string; status: string }> }>("GET", "/api/terminals")
    ).body.terminals.find((t) => t.id === id)?.status;

  it("re-creates every job scheduler, resumes the sweep, ends open runs and sends no burst of triggers", async () => {
    const created = await central.admin<{ schedule: { id: string } }>("POST", "/api/sync/schedules", {
      action: "create",
      cron: "0 3 * * *",
    });
    const scheduleId = created.body.schedule.id;
    const before = await schedulers();
    expect(before).toEqual(["cleanup", "heartbeat-sweep", `schedule:${scheduleId}`].sort());

    // Two connected terminals that ack; one that heartbeats once and then goes silent.
    const live = [await central.provisionTerminal(), await central.provisionTerminal()];
    for (const t of live) {
      const s = connectTestSocket(central.url, t, { autoAck: true });
      sockets.push(s);
      await s.ready;
    }
    const quiet = await central.provisionTerminal();
    // A run left open across the restart: a terminal that never acks.
    const mute = await central.provisionTerminal();
    const muteSocket = connectTestSocket(central.url, mute, { autoAck: false });
    sockets.push(muteSocket);
    await muteSocket.ready;
    const run = await central.admin<{ runId: string }>("POST", "/api/sync/all", { terminalId: mute.terminalId });
    await waitFor(() => muteSocket.triggers.length > 0, { what: "the open run's trigger" });

    const seen = sockets.map((s) => s.triggers.length);
    await redis.stop();
    // Price changes (a back-office tool's SQL) while Redis is down: their DATA_CHANGED must not pile up into a burst.
    for (let i = 0; i < 5; i++)
      await pg.query(`INSERT INTO products (id, sku, name, price_cents) VALUES (gen_random_uuid(), $1, 'p', 100)`, [
        `REDIS-${i}`,
      ]);
    await redis.start(); // empty: no RDB, no AOF

    await waitFor(async () => (await schedulers()).join() === before.join(), {
      what: "job schedulers re-created from PostgreSQL",
    });
    const till = new TerminalClient(central.url, quiet.terminalId, quiet.key);
    expect(
      (await till.raw("POST", "/api/sync/heartbeat", { terminalId: quiet.terminalId, status: "idle", outbox: {} }))
        .status,
    ).toBe(200);
    expect(await status(quiet.terminalId)).toBe("ONLINE");
    await waitFor(async () => (await status(quiet.terminalId)) === "OFFLINE", {
      what: "the heartbeat sweep turning a silent terminal OFFLINE after the restart",
      timeoutMs: 20_000,
    });

    const ended = syncRunResponseSchema.parse(
      (await central.admin("GET", `/api/sync/runs/${run.body.runId}?wait=20`)).body,
    );
    expect(ended.status).toBe("FAILED");

    // No storm: since the restart each socket got at most one trigger per reason (DATA_CHANGED
    // for the five price changes together; the open run's MANUAL sent again), none twice.
    for (const [i, s] of sockets.entries()) {
      const got = s.triggers.slice(seen[i]).map((t) => `${t.reason}@${t.timestamp}`);
      expect(new Set(got).size).toBe(got.length);
      expect(new Set(s.triggers.slice(seen[i]).map((t) => t.reason)).size).toBe(got.length);
    }

    // And the hub works as before: a new run reaches the live terminals and completes.
    const next = await central.admin<{ runId: string }>("POST", "/api/sync/all", { terminalId: live[0]!.terminalId });
    const done = syncRunResponseSchema.parse(
      (await central.admin("GET", `/api/sync/runs/${next.body.runId}?wait=20`)).body,
    );
    expect(done.status).toBe("SUCCESS");
  });
});

describe("RedisRecovery", () => {
  const prefix = testRedisPrefix("recovery");
  afterAll(() => deleteRedisPrefix(prefix));

  it("rebuilds once per loss of Redis' data, on one instance of the cluster, and never when the data is there", async () => {
    const clients = [0, 1].map(() => new Redis(TEST_REDIS_URL, { keyPrefix: `${prefix}:` }));
    const rebuilt: number[] = [];
    const log = createLogger("silent");
    const watchers = clients.map((c, i) => new RedisRecovery(c, 60_000, async () => void rebuilt.push(i), log));
    try {
      for (const w of watchers) await w.start();
      expect(await Promise.all(watchers.map((w) => w.check()))).toEqual([false, false]);
      expect(rebuilt).toEqual([]);
      await clients[0]!.del("hub:epoch"); // what a restart without persistence or a FLUSHALL leaves
      const wins = await Promise.all(watchers.map((w) => w.check()));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(rebuilt).toHaveLength(1);
      expect(await Promise.all(watchers.map((w) => w.check()))).toEqual([false, false]);
    } finally {
      for (const w of watchers) w.stop();
      for (const c of clients) c.disconnect();
    }
  });

  it("tries again at the next check when the rebuild failed", async () => {
    const c = new Redis(TEST_REDIS_URL, { keyPrefix: `${prefix}:` });
    let calls = 0;
    const w = new RedisRecovery(
      c,
      60_000,
      async () => {
        if (++calls === 1) throw new Error("Redis went away again");
      },
      createLogger("silent"),
    );
    try {
      await w.start();
      await c.del("hub:epoch");
      expect(await w.check()).toBe(false);
      expect(await w.check()).toBe(true);
      expect(calls).toBe(2);
    } finally {
      w.stop();
      c.disconnect();
    }
  });
});
