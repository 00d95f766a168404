import {
  change,
  connectTestSocket,
  TerminalClient,
  waitFor,
  startPrivateRedis,
  type PrivateRedis,
} from "@tillsync/testkit";
import { startTestCentral, type TestCentral } from "../testing";

/**
 * While Redis is down an operator still reaches what PostgreSQL holds: the emergency stop goes
 * in and holds pushes, and a wrong token is still refused (the failed-attempt count, kept in
 * Redis, is only a brake; it resumes when Redis is back).
 */
describe("admin API while Redis is down", () => {
  let redis: PrivateRedis;
  let central: TestCentral;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    central = await startTestCentral("admin_noredis", { REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await central?.stop();
    await redis?.stop();
  });

  it("stops and resumes sync with a valid token, and still answers 401 for a wrong one", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    await redis.stop();
    try {
      const stop = await central.admin<{ stopped: boolean }>("POST", "/api/sync/emergency-stop", {
        reason: "no redis",
      });
      expect(stop.status).toBe(200);
      expect(stop.body.stopped).toBe(true);
      const push = await till.raw("POST", "/api/sync/push", {
        terminalId: t.terminalId,
        changes: [change("sale_orders", { store_id: t.storeId, status: "COMPLETED", total_cents: 1 })],
      });
      expect(push.status).toBe(423);
      const wrong = await fetch(`${central.url}/api/terminals`, { headers: { authorization: "Bearer not-the-token" } });
      expect(wrong.status).toBe(401);
      expect((await central.admin("POST", "/api/sync/resume", {})).status).toBe(200);
    } finally {
      await redis.start();
    }
  });

  it("tells every socket but those of terminals paused one by one that sync resumes", async () => {
    const free = await central.provisionTerminal();
    const held = await central.provisionTerminal();
    const a = connectTestSocket(central.url, free);
    const b = connectTestSocket(central.url, held);
    try {
      await Promise.all([a.ready, b.ready]);
      await waitFor(() => a.resumes === 1 && b.resumes === 1, { what: "the resume each gets at register" });
      expect((await central.admin("POST", `/api/terminals/${held.terminalId}/pause`, { reason: "count" })).status).toBe(
        200,
      );
      await central.admin("POST", "/api/sync/emergency-stop", { reason: "both" });
      await waitFor(() => a.pauses >= 1 && b.pauses >= 1, { what: "both paused" });
      await central.admin("POST", "/api/sync/resume", {});
      await waitFor(() => a.resumes === 2, { what: "the free terminal told to resume" });
      // Its own resume comes after on the same socket (socket.io keeps order per socket): had the
      // emergency resume reached it, it would count three by then.
      await central.admin("POST", `/api/terminals/${held.terminalId}/resume`, {});
      await waitFor(() => b.resumes >= 2, { what: "the held terminal's own resume" });
      expect(b.resumes).toBe(2);
    } finally {
      a.close();
      b.close();
    }
  });
});
