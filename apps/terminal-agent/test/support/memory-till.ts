import { openTerminalDb, withoutCapture, type SqliteDb } from "../../src/db/terminal-db";
import { OutboxStore } from "../../src/outbox/outbox-store";

/** A till's schema in memory with its outbox, and one product central sent (version 1) to sell. */
export function memoryTill(productId: string): { db: SqliteDb; outbox: OutboxStore } {
  const db = openTerminalDb(":memory:");
  withoutCapture(db, () =>
    db
      .prepare(`INSERT INTO products (id, sku, name, price_cents, version) VALUES (?, 'P', 'p', 100, 1)`)
      .run(productId),
  );
  return { db, outbox: new OutboxStore(db) };
}
