import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { Priority } from "@tillsync/shared";
import { useTestCentral } from "@tillsync/central/testing";
import { OutboxStore } from "../src/outbox/outbox-store";
import { CentralUnreachableError } from "@tillsync/shared";
import { createWatchedAgent } from "./support/watched-agent";

const { central, pg } = useTestCentral("g1order");

/**
 * G1 for one row changed twice, the way a till completes a ticket: `INSERT … PENDING`, then a
 * few milliseconds later `UPDATE … COMPLETED` in its own transaction. Each case forces one
 * interleaving that used to lose the completion at central while the outbox said SYNCED.
 */
describe("changes of one row reach central in commit order (G1)", () => {
  let storeId: string;
  let creds: { storeId: string; terminalId: string; key: string };
  beforeAll(async () => {
    creds = await central.provisionTerminal();
    storeId = creds.storeId;
  });
  afterEach(() => jest.restoreAllMocks());

  const openOrder = (till: Database.Database, id: string) =>
    till
      .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'PENDING', 500)`)
      .run(id, storeId);
  const complete = (till: Database.Database, id: string) =>
    till
      .prepare(`UPDATE sale_orders SET status = 'COMPLETED', completed_at = '2026-12-01T10:00:00.000Z' WHERE id = ?`)
      .run(id);
  const atCentral = async (id: string) =>
    (await pg.query(`SELECT status, completed_at FROM sale_orders WHERE id = $1`, [id])).rows[0] as
      { status: string; completed_at: Date | null } | undefined;

  it("sends an UPDATE the till commits right after the agent read its batch, instead of folding it into the batch", async () => {
    const agent = createWatchedAgent(central.url, creds);
    try {
      const till = agent.till();
      const order = randomUUID();
      openOrder(till, order);
      // The till's own connection, not waiting for locks: its UPDATE lands at the exact moment
      // the agent has read the batch, or it is refused because the agent holds the outbox.
      const eager = new Database(agent.till().name);
      eager.pragma("busy_timeout = 0");
      let refusedWhileClaiming = false;
      const read = OutboxStore.prototype.nextBatch;
      jest.spyOn(OutboxStore.prototype, "nextBatch").mockImplementationOnce(function (this: OutboxStore, ...a) {
        const batch = read.apply(this, a);
        try {
          complete(eager, order);
        } catch (err) {
          if ((err as { code?: string }).code !== "SQLITE_BUSY") throw err;
          refusedWhileClaiming = true;
        }
        return batch;
      });
      expect((await agent.engine.runCycle()).error).toBeUndefined();
      // The till retries a refused write (its busy timeout does that); here, once the batch is out.
      if (refusedWhileClaiming) complete(till, order);
      eager.close();
      expect((await agent.engine.runCycle()).error).toBeUndefined();

      expect(await atCentral(order)).toMatchObject({ status: "COMPLETED", completed_at: expect.any(Date) });
      expect(refusedWhileClaiming).toBe(true);
      const outbox = till.prepare(`SELECT operation, status, json_extract(data, '$.status') AS s FROM outbox`).all();
      expect(outbox).toEqual([
        { operation: "CREATE", status: "SYNCED", s: "PENDING" },
        { operation: "UPDATE", status: "SYNCED", s: "COMPLETED" },
      ]);
    } finally {
      await agent.destroy();
    }
  });

  it("marks SYNCED only the data central confirmed: an outbox row changed in flight goes again as a new change", async () => {
    const order = randomUUID();
    // While the batch is in flight the row's data changes under it (what capture folding
    // into a row already read used to do); central only ever receives the PENDING version.
    const agent = createWatchedAgent(central.url, creds, {}, async (changes, send) => {
      const mine = changes.find((c) => c.entityId === order);
      if (mine?.operation === "CREATE") {
        const folded = { ...mine.data, status: "COMPLETED", completed_at: "2026-12-01T10:00:00.000Z" };
        agent
          .till()
          .prepare(`UPDATE outbox SET data = ? WHERE change_id = ?`)
          .run(JSON.stringify(folded), mine.changeId);
      }
      return send();
    });
    try {
      const till = agent.till();
      openOrder(till, order);
      expect((await agent.engine.runCycle()).error).toBeUndefined();
      expect((await agent.engine.runCycle()).error).toBeUndefined();
      expect(await atCentral(order)).toMatchObject({ status: "COMPLETED" });
      const sent = agent.sent.flat().filter((c) => c.entityId === order);
      expect(sent.map((c) => [c.operation, c.data?.status])).toEqual([
        ["CREATE", "PENDING"],
        ["UPDATE", "COMPLETED"],
      ]);
      expect(new Set(sent.map((c) => c.changeId)).size).toBe(2);
      expect(till.prepare(`SELECT count(*) AS n FROM outbox WHERE status != 'SYNCED'`).get()).toEqual({ n: 0 });
    } finally {
      await agent.destroy();
    }
  });

  it("settles a conflict only for the data central judged: a customer change that grew in flight sends the rest", async () => {
    const id = randomUUID();
    await pg.query(`INSERT INTO customers (id, name, loyalty_points) VALUES ($1, 'Ann', 100)`, [id]);
    const agent = createWatchedAgent(central.url, creds, {}, async (changes, send) => {
      const mine = changes.find((c) => c.entityId === id);
      if (mine?.operation === "UPDATE" && mine.data?.loyalty_points === 105) {
        // 7 more points fold into the change on its way (what folding into a row read used to do).
        const grown = { ...mine.data, loyalty_points: 112 };
        agent
          .till()
          .prepare(`UPDATE outbox SET data = ? WHERE change_id = ?`)
          .run(JSON.stringify(grown), mine.changeId);
      }
      return send();
    });
    try {
      expect((await agent.engine.runCycle()).error).toBeUndefined();
      // The back office adds 20, so the till's change (based on version 1) meets a MERGE conflict.
      await pg.query(`UPDATE customers SET loyalty_points = loyalty_points + 20 WHERE id = $1`, [id]);
      agent.till().prepare(`UPDATE customers SET loyalty_points = loyalty_points + 5 WHERE id = ?`).run(id);
      expect((await agent.engine.runCycle()).error).toBeUndefined();
      expect((await agent.engine.runCycle()).error).toBeUndefined();
      const q = `SELECT loyalty_points FROM customers WHERE id = $1`;
      expect((await pg.query(q, [id])).rows[0]).toEqual({ loyalty_points: 132 });
      expect(agent.till().prepare(q.replace("$1", "?")).get(id)).toEqual({ loyalty_points: 132 });
      const outbox = agent.till().prepare(`SELECT status FROM outbox WHERE entity_id = ? ORDER BY id`).all(id);
      expect(outbox).toEqual([{ status: "SYNCED" }]);
    } finally {
      await agent.destroy();
    }
  });

  it.each([100, 1])(
    "never lets a CRITICAL completion overtake its order's unanswered CREATE (batch size %i)",
    async (batchSize) => {
      let failNext = true;
      const agent = createWatchedAgent(central.url, creds, { SYNC_BATCH_SIZE: batchSize }, async (_c, send) => {
        if (!failNext) return send();
        failNext = false;
        throw new CentralUnreachableError("connection reset (test)");
      });
      try {
        const till = agent.till();
        const order = randomUUID();
        openOrder(till, order);
        // The CREATE was offered and got no answer: it stays queued under its change id, and
        // the completion becomes a change of its own, CRITICAL, above the CREATE's band.
        expect((await agent.engine.runCycle()).error).toMatch(/connection reset/);
        complete(till, order);
        expect((await agent.engine.runCycle(Priority.CRITICAL)).error).toBeUndefined();
        expect((await agent.engine.runCycle()).error).toBeUndefined();

        const sent = agent.sent.flat().filter((c) => c.entityId === order);
        expect(sent.map((c) => [c.operation, c.data?.status])).toEqual([
          ["CREATE", "PENDING"],
          ["UPDATE", "COMPLETED"],
        ]);
        expect(await atCentral(order)).toMatchObject({ status: "COMPLETED", completed_at: expect.any(Date) });
      } finally {
        await agent.destroy();
      }
    },
  );

  it("holds a later change back while an earlier change of its row is in flight elsewhere", async () => {
    const agent = createWatchedAgent(central.url, creds);
    try {
      const till = agent.till();
      const [order, other] = [randomUUID(), randomUUID()];
      openOrder(till, order);
      // Another process (a one-shot `sync` next to the daemon) claims the CREATE and is still waiting for central.
      const elsewhere = new OutboxStore(agent.till());
      expect(elsewhere.claimBatch(1, Priority.BACKGROUND).map((r) => r.entity_id)).toEqual([order]);
      complete(till, order);
      openOrder(till, other);
      const batch = agent.outbox.claimBatch(100, Priority.BACKGROUND);
      expect(batch.map((r) => r.entity_id)).toEqual([other]);
    } finally {
      await agent.destroy();
    }
  });
});
