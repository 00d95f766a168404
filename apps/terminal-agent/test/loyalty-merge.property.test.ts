import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { CentralUnreachableError, Priority } from "@tillsync/shared";
import { useTestCentral } from "@tillsync/central/testing";
import { waitFor } from "@tillsync/testkit";
import { createWatchedAgent, type WatchedAgent } from "./support/watched-agent";

/**
 * G4 for loyalty, as a property: three tills (separate SQLite files, real central) add points
 * and spend to the same five customers while their agents sync cycles of random bands (so a
 * customer change may wait while central's newer value is pulled over it, and the till's next
 * edit folds into it), pushes fail before central sees them or after it applied them (resent
 * in doubt), one till sends batches of two (a till's changes split across batches), and the
 * back office adds points at central (conflicts). Central must end at initial + every
 * increment once, and every till must show central's value. FC_RUNS sets the runs (default 4).
 */

const CUSTOMERS = 5;
const TILLS = 3;

interface Inc {
  c: number;
  points: number;
  spent: number;
}
const inc: fc.Arbitrary<Inc> = fc.record({
  c: fc.nat(CUSTOMERS - 1),
  points: fc.integer({ min: -5, max: 50 }),
  spent: fc.integer({ min: 0, max: 5000 }),
});
const scenario = fc.record({
  tills: fc.array(fc.array(inc, { minLength: 5, maxLength: 40 }), { minLength: TILLS, maxLength: TILLS }),
  central: fc.array(inc, { maxLength: 10 }),
  initial: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: CUSTOMERS, maxLength: CUSTOMERS }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

const { central, pg } = useTestCentral("g4loyalty");

describe("loyalty merges from concurrent tills (G4, property)", () => {
  const agents: WatchedAgent[] = [];
  let faults = false;
  let rand: () => number = Math.random;

  beforeAll(async () => {
    const { storeId } = await central.provisionTerminal();
    for (let t = 0; t < TILLS; t++) {
      const creds = await central.provisionTerminal({ storeId });
      // After a failed cycle the next one goes through, so the breaker never opens here.
      let mayFail = true;
      const agent = createWatchedAgent(
        central.url,
        creds,
        { SYNC_BATCH_SIZE: t === 0 ? 2 : 100 },
        async (_changes, send) => {
          const roll = faults && mayFail ? rand() : 1;
          if (roll < 0.1) mayFail = false;
          if (roll < 0.05) throw new CentralUnreachableError("connection refused (test)");
          const results = await send();
          if (roll < 0.1) throw new CentralUnreachableError("connection reset after central answered (test)");
          return results;
        },
        { machine: { backoff: () => 0 } },
      );
      agent.engine.on("cycle", (r) => (mayFail = !r.error));
      agents.push(agent);
    }
  });

  afterAll(async () => {
    for (const a of agents) await a.destroy();
  });

  const pause = () => new Promise((r) => setTimeout(r, Math.floor(rand() * 3)));
  const bands = [Priority.HIGH, Priority.MEDIUM_CUSTOMER, Priority.BACKGROUND];

  async function sell(agent: WatchedAgent, ids: string[], incs: Inc[]): Promise<void> {
    const till = agent.till();
    const add = till.prepare(
      `UPDATE customers SET loyalty_points = loyalty_points + ?, total_spent_cents = total_spent_cents + ? WHERE id = ?`,
    );
    for (const i of incs) {
      add.run(i.points, i.spent, ids[i.c]);
      await pause();
    }
  }

  async function syncWhile(agent: WatchedAgent, busy: () => boolean): Promise<void> {
    while (busy()) {
      await agent.engine.runCycle(bands[Math.floor(rand() * bands.length)]);
      await pause();
    }
  }

  it("central ends at initial + every increment once, and every till shows central's value", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        let s = sc.seed;
        rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        const ids = sc.initial.map(() => randomUUID());
        for (const [k, id] of ids.entries())
          await pg.query(`INSERT INTO customers (id, name, loyalty_points, total_spent_cents) VALUES ($1, $2, $3, 0)`, [
            id,
            `C${k}`,
            sc.initial[k],
          ]);
        for (const a of agents)
          await waitFor(async () => {
            await a.engine.runCycle();
            return a
              .till()
              .prepare(`SELECT count(*) AS n FROM customers WHERE id IN (SELECT value FROM json_each(?))`)
              .get(JSON.stringify(ids)) as { n: number };
          }).then(() => undefined);

        faults = true;
        let selling = TILLS + 1;
        const done = () => void selling--;
        const backOffice = (async () => {
          for (const i of sc.central) {
            await pg.query(
              `UPDATE customers SET loyalty_points = loyalty_points + $1, total_spent_cents = total_spent_cents + $2 WHERE id = $3`,
              [i.points, i.spent, ids[i.c]],
            );
            await pause();
          }
        })().finally(done);
        await Promise.all([
          backOffice,
          ...agents.map((a, t) => sell(a, ids, sc.tills[t]!).finally(done)),
          ...agents.map((a) => syncWhile(a, () => selling > 0)),
        ]);
        faults = false;
        // Everything pushed by every till, then everything pulled by every till.
        for (let round = 0; round < 2; round++)
          for (const a of agents) expect((await a.engine.runCycle()).error).toBeUndefined();

        const expected = ids.map((_, k) => {
          const all = [...sc.tills.flat(), ...sc.central].filter((i) => i.c === k);
          return {
            points: sc.initial[k]! + all.reduce((n, i) => n + i.points, 0),
            spent: all.reduce((n, i) => n + i.spent, 0),
          };
        });
        const q = `SELECT loyalty_points AS points, total_spent_cents AS spent FROM customers WHERE id = $1`;
        const atCentral = [];
        for (const id of ids) atCentral.push((await pg.query(q, [id])).rows[0]);
        expect(atCentral).toEqual(expected);
        for (const a of agents) {
          const local = ids.map((id) => a.till().prepare(q.replace("$1", "?")).get(id));
          expect(local).toEqual(expected);
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 4) },
    );
  }, 300_000);
});
