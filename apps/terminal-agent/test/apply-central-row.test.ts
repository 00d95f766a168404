import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { FeedCursor, PullResponse } from "@tillsync/shared";
import { openTerminalDb, type SqliteDb } from "../src/db/terminal-db";
import { applyPulledPage } from "../src/sync/pull-applier";

describe("a customer pulled over unconfirmed local changes (G4)", () => {
  let dir: string;
  let db: SqliteDb;
  let till: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-apply-"));
    db = openTerminalDb(path.join(dir, "t.db"));
    till = new Database(path.join(dir, "t.db"));
  });

  afterEach(() => {
    till.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pull = (id: string, points: number, version: number) =>
    applyPulledPage(db, {
      changes: [
        {
          entityType: "customers",
          entityId: id,
          operation: "UPSERT",
          data: { id, name: "Ann", loyalty_points: points, total_spent_cents: 0, version },
          version,
        },
      ],
      nextCursor: "1" as FeedCursor,
      hasMore: false,
    } as unknown as PullResponse);
  const points = (id: string) =>
    (db.prepare(`SELECT loyalty_points AS p FROM customers WHERE id = ?`).get(id) as { p: number }).p;

  it("shows central's value plus the later deltas only, when central already holds the till's in-doubt CREATE", () => {
    const id = randomUUID();
    till.prepare(`INSERT INTO customers (id, name, loyalty_points) VALUES (?, 'Ann', 10)`).run(id);
    // Sent, applied by central, the answer lost: back to PENDING, never folded into again.
    db.prepare(`UPDATE outbox SET last_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`).run();
    till.prepare(`UPDATE customers SET loyalty_points = loyalty_points + 5 WHERE id = ?`).run(id);
    // Central: the CREATE's 10 and 30 from another till; this till's +5 has not arrived yet.
    pull(id, 40, 2);
    expect(points(id)).toBe(45);
  });

  it("keeps adding an unconfirmed UPDATE's delta to central's value", () => {
    const id = randomUUID();
    pull(id, 10, 1);
    till.prepare(`UPDATE customers SET loyalty_points = loyalty_points + 5 WHERE id = ?`).run(id);
    pull(id, 40, 2);
    expect(points(id)).toBe(45);
  });
});
