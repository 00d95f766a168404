import { DEFAULT_SYNC_POLICY, type SyncPolicy, type TablePolicy } from "@tillsync/shared";

/**
 * A second ledger that no code names, for tests that the policy alone drives central: gift
 * card movements (append-only) moving gift_cards.balance_cents. SyncTable is a fixed union,
 * hence the casts.
 */
export const giftCards = {
  table: "gift_cards",
  direction: "CENTRAL_TO_TERMINAL",
  priority: { kind: "fixed", priority: 3 },
  strategy: "CENTRAL_WINS",
  mergeFields: [],
  appendOnly: false,
  scope: "ALL",
  centralUpdatedAt: false,
  columns: [
    { name: "id", type: { kind: "uuid" } },
    { name: "balance_cents", type: { kind: "int" }, optional: true, defaulted: true },
    { name: "version", type: { kind: "int" }, optional: true, defaulted: true },
  ],
} as unknown as TablePolicy;

export const movements = {
  table: "gift_card_movements",
  direction: "TERMINAL_TO_CENTRAL",
  priority: { kind: "fixed", priority: 8 },
  strategy: "MERGE",
  mergeFields: ["amount_cents"],
  appendOnly: true,
  scope: "ALL",
  centralUpdatedAt: false,
  // Each movement is its terminal's: another terminal re-sending its id is refused (G8).
  owner: { terminal: "terminal_id" },
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

export const giftCardPolicy = {
  ...DEFAULT_SYNC_POLICY,
  gift_cards: giftCards,
  gift_card_movements: movements,
} as unknown as SyncPolicy;

/** The two tables as the tests create them in their own database. */
export const GIFT_CARD_TABLES_SQL = `
  CREATE TABLE gift_cards (id uuid PRIMARY KEY, balance_cents int NOT NULL DEFAULT 0, version int NOT NULL DEFAULT 1);
  CREATE TABLE gift_card_movements (id uuid PRIMARY KEY, card_id uuid NOT NULL, amount_cents int NOT NULL,
                                    terminal_id uuid, version int NOT NULL DEFAULT 1);`;
