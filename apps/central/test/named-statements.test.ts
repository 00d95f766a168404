import { randomUUID } from "node:crypto";
import { createTestDatabase } from "@tillsync/testkit";
import { centralStore, type CentralStore } from "../src/store/central-store";
import { openCentralDb, type CentralDb } from "../src/store/database";
import { migrateCentral } from "../src/store/migrate";
import { MAX_NAMED_STATEMENTS, statementName } from "../src/store/named-statements";

/**
 * A transaction's statements with parameters run as named prepared statements
 * (store/named-statements.ts): parsed once per connection, not once per push.
 */
describe("named statements in central's transactions", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: CentralDb;
  let store: CentralStore;

  beforeAll(async () => {
    database = await createTestDatabase("named_statements");
    // One connection: the transactions and the check below share its prepared statements.
    db = openCentralDb(database.url, 1);
    await migrateCentral(db.pool);
    store = centralStore(db);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const prepared = async () =>
    (await db.pool.query<{ name: string; statement: string }>(`SELECT name, statement FROM pg_prepared_statements`))
      .rows;

  it("prepares the push's fixed statements once on a connection and answers as before", async () => {
    const terminalId = randomUUID();
    for (let i = 0; i < 3; i++) {
      const hold = await store.transaction(async (tx) => {
        const h = await tx.control.gate(terminalId);
        await tx.terminals.markSynced(terminalId);
        return h;
      });
      expect(hold.emergency.stopped).toBe(false);
      expect(hold.pause ?? null).toBeNull();
    }
    const statements = await prepared();
    const texts = statements.map((s) => s.statement);
    expect(texts.filter((t) => t.includes("pg_advisory_xact_lock_shared"))).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith("UPDATE terminals SET last_sync_at"))).toHaveLength(1);
    for (const s of statements) expect(s.name).toBe(statementName(s.statement));
  });

  it("a rolled-back transaction leaves the connection usable for the same named statements", async () => {
    const terminalId = randomUUID();
    await expect(
      store.transaction(async (tx) => {
        await tx.terminals.markSynced(terminalId);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await expect(store.transaction((tx) => tx.terminals.markSynced(terminalId))).resolves.toBeUndefined();
  });

  it("names at most MAX_NAMED_STATEMENTS texts; the rest run unnamed", () => {
    const base = `SELECT $1::int AS n /* ${randomUUID()} */`;
    const first = statementName(base);
    expect(statementName(base)).toBe(first);
    let last: string | undefined = first;
    for (let i = 0; last !== undefined && i <= MAX_NAMED_STATEMENTS; i++) last = statementName(`${base} -- ${i}`);
    expect(last).toBeUndefined();
    expect(statementName(base)).toBe(first);
  });
});
