import { Client, Pool } from "pg";
import { createTestDatabase, waitFor } from "@tillsync/testkit";
import { withTransaction } from "../src/store/transaction";

/**
 * PostgreSQL ends a connection central holds in a transaction (a restart, an administrator's
 * pg_terminate_backend): the transaction fails, central lives on, and the pool keeps working.
 * Before, the checked-out client's `error` event had no listener and killed the process.
 */
describe("a connection terminated while a transaction holds it", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let admin: Client;

  beforeAll(async () => {
    database = await createTestDatabase("connloss");
    pool = new Pool({ connectionString: database.url, max: 2 });
    pool.on("error", () => undefined);
    admin = new Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await pool.end();
    await database.drop();
  });

  it("fails that transaction only, and the next one gets a working connection", async () => {
    const failed = withTransaction(pool, async (c) => {
      const { rows } = await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      let ended = false;
      c.once("end", () => (ended = true));
      await admin.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
      await waitFor(() => ended); // the FATAL arrived while no query ran on this client
      await c.query("SELECT 1");
    });
    await expect(failed).rejects.toThrow();
    for (let i = 0; i < 3; i++) {
      const r = await withTransaction(pool, (c) => c.query<{ one: number }>("SELECT 1 AS one"));
      expect(r.rows).toEqual([{ one: 1 }]);
    }
  });
});
