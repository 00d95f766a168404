import { randomUUID } from "node:crypto";
import { validatePolicy, type PushChange, type SyncTable } from "@tillsync/shared";
import { change, createTestDatabase } from "@tillsync/testkit";
import { centralStore, type CentralStore } from "../src/store/central-store";
import { openCentralDb, type CentralDb } from "../src/store/database";
import { migrateCentral } from "../src/store/migrate";
import { applyPush } from "../src/sync/push-apply";
import { GIFT_CARD_TABLES_SQL, giftCardPolicy as policy } from "./support/gift-card-policy";

/**
 * The policy is the single source of the ledger rule: a second ledger, declared only in a
 * policy (gift card movements moving gift_cards.balance_cents), is applied by central's push
 * exactly once, through the same writer as the stock ledger, with no code naming it.
 */

describe("a ledger declared only in the policy (gift cards)", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: CentralDb;
  let store: CentralStore;
  const terminal = { id: randomUUID(), storeId: randomUUID(), name: "Till" };

  beforeAll(async () => {
    database = await createTestDatabase("ledger");
    db = openCentralDb(database.url);
    await migrateCentral(db.pool);
    await db.pool.query(GIFT_CARD_TABLES_SQL);
    store = centralStore(db);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const movement = (cardId: string, amount: number): PushChange =>
    change("gift_card_movements" as SyncTable, { card_id: cardId, amount_cents: amount }, { syncPriority: 8 });
  const balance = async (cardId: string) =>
    (await db.pool.query(`SELECT balance_cents, version FROM gift_cards WHERE id = $1`, [cardId])).rows[0] as
      { balance_cents: number; version: number } | undefined;
  const push = (changes: PushChange[]) => applyPush(store, policy, terminal, changes);

  it("is a valid policy", () => {
    expect(() => validatePolicy(policy)).not.toThrow();
  });

  it("moves the counter by each movement once: created on first use, DUPLICATE on a repeat", async () => {
    const card = randomUUID();
    const batch = [movement(card, 500), movement(card, -200)];
    expect((await push(batch)).map((r) => r.status)).toEqual(["APPLIED", "APPLIED"]);
    expect(await balance(card)).toEqual({ balance_cents: 300, version: 1 });
    expect((await push(batch)).map((r) => r.status)).toEqual(["DUPLICATE", "DUPLICATE"]);
    await push([movement(card, 50)]);
    expect(await balance(card)).toEqual({ balance_cents: 350, version: 2 });
    const rows = await db.pool.query(`SELECT terminal_id FROM gift_card_movements WHERE card_id = $1`, [card]);
    expect(rows.rows).toEqual(Array(3).fill({ terminal_id: terminal.id }));
  });

  it("moves it once when the same movement comes back under a new change id", async () => {
    const card = randomUUID();
    const m = movement(card, 700);
    await push([m]);
    expect((await push([{ ...m, changeId: randomUUID() as PushChange["changeId"] }]))[0]!.status).toBe("APPLIED");
    expect((await balance(card))!.balance_cents).toBe(700);
  });

  it("moves it once when the same push races itself", async () => {
    const card = randomUUID();
    const batch = [movement(card, 100), movement(card, 20)];
    const results = await Promise.all([push(batch), push(batch), push(batch)]);
    expect(results.map((r) => r[0]!.status).sort()).toEqual(["APPLIED", "DUPLICATE", "DUPLICATE"]);
    expect((await balance(card))!.balance_cents).toBe(120);
  });

  it("refuses updates and deletes of movements, as for any append-only table", async () => {
    const m = movement(randomUUID(), 1);
    const results = await push([
      { ...m, operation: "UPDATE" },
      { ...m, changeId: randomUUID() as PushChange["changeId"], operation: "DELETE", data: null },
    ]);
    for (const r of results) expect(r).toMatchObject({ status: "REJECTED", retryable: false });
  });
});
