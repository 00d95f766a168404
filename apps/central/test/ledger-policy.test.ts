import { randomUUID } from "node:crypto";
import {
  DEFAULT_SYNC_POLICY,
  validatePolicy,
  type PushChange,
  type SyncPolicy,
  type SyncTable,
  type TablePolicy,
} from "@tillsync/shared";
import { change, createTestDatabase } from "@tillsync/testkit";
import { centralStore, type CentralStore } from "../src/store/central-store";
import { openCentralDb, type CentralDb } from "../src/store/database";
import { migrateCentral } from "../src/store/migrate";
import { applyPush } from "../src/sync/push-apply";

/**
 * The policy is the single source of the ledger rule: a second ledger, declared only in a
 * policy (gift card movements moving gift_cards.balance_cents), is applied by central's push
 * exactly once, through the same writer as the stock ledger, with no code naming it.
 */

const giftCards = {
  table: "gift_cards",
  direction: "CENTRAL_TO_TERMINAL",
  priority: { kind: "fixed", priority: 3 },
  strategy: "CENTRAL_WINS",
  mergeFields: [],
  appendOnly: false,
  scope: "ALL",
  centralUpdatedAt: true,
  columns: [
    { name: "id", type: { kind: "uuid" } },
    { name: "balance_cents", type: { kind: "int" }, optional: true, defaulted: true },
    { name: "version", type: { kind: "int" }, optional: true, defaulted: true },
  ],
} as unknown as TablePolicy;

const movements = {
  table: "gift_card_movements",
  direction: "TERMINAL_TO_CENTRAL",
  priority: { kind: "fixed", priority: 8 },
  strategy: "MERGE",
  mergeFields: ["amount_cents"],
  appendOnly: true,
  scope: "ALL",
  centralUpdatedAt: false,
  ledger: {
    counterTable: "gift_cards",
    counterColumn: "balance_cents",
    deltaColumn: "amount_cents",
    key: { card_id: "id" },
  },
  columns: [
    { name: "id", type: { kind: "uuid" } },
    { name: "card_id", type: { kind: "uuid" } },
    { name: "amount_cents", type: { kind: "int" } },
    { name: "terminal_id", type: { kind: "uuid" }, optional: true },
    { name: "version", type: { kind: "int" }, optional: true, defaulted: true },
  ],
} as unknown as TablePolicy;

const policy = {
  ...DEFAULT_SYNC_POLICY,
  gift_cards: giftCards,
  gift_card_movements: movements,
} as unknown as SyncPolicy;

describe("a ledger declared only in the policy (gift cards)", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: CentralDb;
  let store: CentralStore;
  const terminal = { id: randomUUID(), storeId: randomUUID(), name: "Till" };

  beforeAll(async () => {
    database = await createTestDatabase("ledger");
    db = openCentralDb(database.url);
    await migrateCentral(db.pool);
    await db.pool.query(`
      CREATE TABLE gift_cards (id uuid PRIMARY KEY, balance_cents int NOT NULL DEFAULT 0,
                               version int NOT NULL DEFAULT 1, updated_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE gift_card_movements (id uuid PRIMARY KEY, card_id uuid NOT NULL, amount_cents int NOT NULL,
                                        terminal_id uuid, version int NOT NULL DEFAULT 1);`);
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
