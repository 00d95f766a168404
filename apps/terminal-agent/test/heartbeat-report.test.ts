import { randomUUID } from "node:crypto";
import { heartbeatRequestSchema, type HeartbeatRequest } from "@tillsync/shared";
import { HeartbeatSender } from "../src/daemon/heartbeat";
import { statusSql } from "../src/outbox/outbox-status-sql";
import type { CentralTransport } from "../src/transport/central-transport";
import { createTestAgent, type TestAgent } from "../testing";
import { indexCapturedTail } from "../src/capture/captured-tail";

/** What the console shows of a till comes from its heartbeat: last error and parked changes. */
describe("the heartbeat's report", () => {
  let agent: TestAgent;
  const sent: Array<Omit<HeartbeatRequest, "terminalId">> = [];
  const transport = { heartbeat: async (b: Omit<HeartbeatRequest, "terminalId">) => void sent.push(b) };
  const terminalId = randomUUID();

  beforeAll(() => {
    agent = createTestAgent("http://127.0.0.1:9", { terminalId, key: "tsk_unused" });
  });
  afterAll(async () => agent.destroy());

  it("carries the last cycle's error and the FAILED changes with their errors, in the shape central accepts", async () => {
    const till = agent.till();
    const orderId = randomUUID();
    till
      .prepare("INSERT INTO sale_orders (id, store_id, status) VALUES (?, ?, 'COMPLETED')")
      .run(orderId, randomUUID());
    // The tail indexed first, as the claim before any answer does (a tail row is PENDING, capture/captured-tail.ts).
    agent.db.transaction(() => indexCapturedTail(agent.db)).immediate();
    agent.db
      .prepare(
        `UPDATE outbox SET status = ${statusSql("FAILED")}, attempts = 3, error = 'store_id: not this terminal''s store',
                last_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE entity_id = ?`,
      )
      .run(orderId);
    agent.db
      .prepare(
        `INSERT INTO sync_history (kind, finished_at, error) VALUES ('CYCLE', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)`,
      )
      .run("central unreachable: ECONNREFUSED");
    const beat = new HeartbeatSender(transport as unknown as CentralTransport, agent, 60_000);
    await beat.beatNow();
    const body = sent.at(-1)!;
    expect(body.lastError).toMatchObject({ message: "central unreachable: ECONNREFUSED" });
    expect(body.failedChanges).toEqual([
      expect.objectContaining({
        entityType: "sale_orders",
        entityId: orderId,
        operation: "CREATE",
        error: "store_id: not this terminal's store",
        attempts: 3,
      }),
    ]);
    expect(heartbeatRequestSchema.safeParse({ terminalId, ...body }).success).toBe(true);

    agent.db
      .prepare(`INSERT INTO sync_history (kind, finished_at) VALUES ('CYCLE', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`)
      .run();
    await beat.beatNow();
    expect(sent.at(-1)!.lastError).toBeNull();
    beat.stop();
  });
});
