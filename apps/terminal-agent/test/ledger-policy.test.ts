import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import {
  DEFAULT_SYNC_POLICY,
  type FeedCursor,
  type PullResponse,
  type SyncPolicy,
  type SyncTable,
  type TablePolicy,
} from "@tillsync/shared";
import { captureTriggerSql } from "../src/capture/capture-triggers";
import { openTerminalDb, withoutCapture, type SqliteDb } from "../src/db/terminal-db";
import { applyCentralRow } from "../src/sync/apply-central-row";
import { applyPulledPage } from "../src/sync/pull-applier";

/**
 * The ledger rule is the single source on the agent: a second ledger table, declared only in a
 * policy, gets capture, the displayed counter (central's value + unpushed ledger deltas) and
 * the pull apply without any code naming it.
 */
const giftCards: TablePolicy = {
  table: "gift_cards" as SyncTable,
  centralUpdatedAt: true,
  direction: "CENTRAL_TO_TERMINAL",
  priority: { kind: "fixed", priority: 6 },
  strategy: "CENTRAL_WINS",
  mergeFields: [],
  appendOnly: false,
  scope: "ALL",
  columns: [
    { name: "id", type: { kind: "uuid" } },
    { name: "code", type: { kind: "text" } },
    { name: "balance_cents", type: { kind: "int" }, optional: true, defaulted: true },
    { name: "version", type: { kind: "int" }, optional: true, defaulted: true },
  ],
};

const giftCardMovements: TablePolicy = {
  table: "gift_card_movements" as SyncTable,
  centralUpdatedAt: false,
  direction: "TERMINAL_TO_CENTRAL",
  priority: { kind: "fixed", priority: 8 },
  strategy: "MERGE",
  mergeFields: ["amount_cents"],
  appendOnly: true,
  ledger: {
    counterTable: "gift_cards" as SyncTable,
    counterColumn: "balance_cents",
    deltaColumn: "amount_cents",
    key: { card_id: "id" },
  },
  scope: "ALL",
  // A table terminals push says who owns its rows (G8): each movement is its terminal's.
  owner: { terminal: "terminal_id" },
  columns: [
    { name: "id", type: { kind: "uuid" } },
    { name: "card_id", type: { kind: "uuid" } },
    { name: "amount_cents", type: { kind: "int" } },
    { name: "terminal_id", type: { kind: "uuid" }, optional: true },
    { name: "version", type: { kind: "int" }, optional: true, defaulted: true },
  ],
};

const policy = {
  ...DEFAULT_SYNC_POLICY,
  gift_cards: giftCards,
  gift_card_movements: giftCardMovements,
} as unknown as SyncPolicy;

const UUID_DEFAULT = "(lower(hex(randomblob(16))))";

describe("a ledger table declared only in the policy (gift cards)", () => {
  let dir: string;
  let db: SqliteDb;
  let till: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-ledger-"));
    const file = path.join(dir, "t.db");
    db = openTerminalDb(file);
    db.exec(`
      CREATE TABLE gift_cards (id TEXT PRIMARY KEY, code TEXT NOT NULL DEFAULT '',
        balance_cents INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE gift_card_movements (id TEXT PRIMARY KEY DEFAULT ${UUID_DEFAULT}, card_id TEXT NOT NULL,
        amount_cents INTEGER NOT NULL, terminal_id TEXT, version INTEGER NOT NULL DEFAULT 0);`);
    db.exec(captureTriggerSql(policy));
    till = new Database(file);
    till.pragma("busy_timeout = 5000");
  });

  afterEach(() => {
    till.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const balance = (card: string) =>
    (db.prepare(`SELECT balance_cents FROM gift_cards WHERE id = ?`).get(card) as { balance_cents: number } | undefined)
      ?.balance_cents;
  const spend = (card: string, cents: number): string => {
    const id = randomUUID();
    till.prepare(`INSERT INTO gift_card_movements (id, card_id, amount_cents) VALUES (?, ?, ?)`).run(id, card, -cents);
    return id;
  };
  let cursor = 0;
  const pullCard = (card: string, cents: number, version: number) => {
    const page: PullResponse = {
      changes: [
        {
          entityType: "gift_cards" as SyncTable,
          entityId: card,
          operation: "UPSERT",
          data: { id: card, code: "GC-1", balance_cents: cents, version },
          version,
        },
      ],
      nextCursor: String(++cursor) as FeedCursor,
      hasMore: false,
    } as unknown as PullResponse;
    applyPulledPage(db, page, policy);
  };

  it("captures each movement once, in the writer's transaction, and keeps them append-only", () => {
    const card = randomUUID();
    pullCard(card, 1000, 3);
    const movement = spend(card, 250);
    expect(db.prepare(`SELECT entity_type, entity_id, operation, sync_priority FROM outbox`).all()).toEqual([
      { entity_type: "gift_card_movements", entity_id: movement, operation: "CREATE", sync_priority: 8 },
    ]);
    expect(() => till.prepare(`UPDATE gift_card_movements SET amount_cents = 0 WHERE id = ?`).run(movement)).toThrow(
      /gift_card_movements is append-only/,
    );
    expect(() => till.prepare(`DELETE FROM gift_card_movements WHERE id = ?`).run(movement)).toThrow(/append-only/);
    const rolledBack = till.transaction(() => {
      spend(card, 100);
      throw new Error("till crashed mid-sale");
    });
    expect(() => rolledBack()).toThrow("till crashed");
    expect(db.prepare(`SELECT count(*) AS n FROM outbox`).get()).toEqual({ n: 1 });
    expect(balance(card)).toBe(750);
  });

  it("shows central's balance plus the unpushed movements, through every pull", () => {
    const card = randomUUID();
    pullCard(card, 1000, 3);
    expect(balance(card)).toBe(1000);
    const first = spend(card, 250);
    spend(card, 50);
    expect(balance(card)).toBe(700); // the display trigger moved it at once
    pullCard(card, 1100, 4); // a top-up at central; our movements are not in it yet
    expect(balance(card)).toBe(800);

    // Central confirmed the first movement and folded it into its balance.
    db.prepare(`UPDATE outbox SET status = 'SYNCED' WHERE entity_id = ?`).run(first);
    pullCard(card, 850, 5);
    expect(balance(card)).toBe(800);

    // The same on the single-row path (a row applied outside a page, no cached sums).
    withoutCapture(db, () =>
      applyCentralRow(db, policy, "gift_cards" as SyncTable, card, { id: card, code: "GC-1", balance_cents: 900 }, 6),
    );
    expect(balance(card)).toBe(850);
    // A FAILED movement is still unconfirmed: it stays on the display.
    db.prepare(`UPDATE outbox SET status = 'FAILED' WHERE entity_id <> ?`).run(first);
    pullCard(card, 900, 7);
    expect(balance(card)).toBe(850);
  });

  it("creates the counter row on a movement for a card central has not sent, then takes central's", () => {
    const card = randomUUID();
    spend(card, 30);
    expect(balance(card)).toBe(-30);
    pullCard(card, 500, 1);
    expect(balance(card)).toBe(470);
    expect(db.prepare(`SELECT count(*) AS n FROM gift_cards`).get()).toEqual({ n: 1 });
  });

  it("generates nothing for a ledger that names a column its tables lack", () => {
    const broken = {
      ...policy,
      gift_card_movements: { ...giftCardMovements, ledger: { ...giftCardMovements.ledger!, deltaColumn: "cents" } },
    } as unknown as SyncPolicy;
    expect(() => captureTriggerSql(broken)).toThrow(/gift_card_movements has no delta column cents/);
  });
});

describe("the committed migrations", () => {
  it("install one display trigger for the stock ledger, so each adjustment moves stock once", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-ledger-"));
    const db = openTerminalDb(path.join(dir, "t.db"));
    try {
      const triggers = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tillsync_%' ORDER BY name`)
        .all() as Array<{ name: string }>;
      const onAdjustments = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'inventory_adjustments'`)
        .all() as Array<{ name: string }>;
      expect(triggers.map((t) => t.name)).not.toContain("tillsync_stock_display_adjustment");
      expect(onAdjustments.map((t) => t.name).sort()).toEqual([
        "tillsync_append_only_inventory_adjustments_delete",
        "tillsync_append_only_inventory_adjustments_update",
        "tillsync_capture_inventory_adjustments_insert",
        "tillsync_ledger_inventory_adjustments_insert",
      ]);
      const [store, product] = [randomUUID(), randomUUID()];
      withoutCapture(db, () =>
        db
          .prepare(`INSERT INTO inventory_items (store_id, product_id, quantity, version) VALUES (?, ?, 10, 1)`)
          .run(store, product),
      );
      db.prepare(
        `INSERT INTO inventory_adjustments (store_id, product_id, delta, reason) VALUES (?, ?, -3, 'SALE')`,
      ).run(store, product);
      expect(db.prepare(`SELECT quantity FROM inventory_items`).get()).toEqual({ quantity: 7 });
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
