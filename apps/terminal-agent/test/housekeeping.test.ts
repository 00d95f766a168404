import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openTerminalDb, type SqliteDb } from "../src/db/terminal-db";
import { msUntilNextLocalHour } from "../src/housekeeping/daily-cleanup";
import { envOf, runCli } from "./support/agent-cli";

/** Daily housekeeping: SYNCED outbox rows and sync history older than N days go; nothing else. */
describe("housekeeping", () => {
  let dir: string;
  let file: string;
  let db: SqliteDb;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-housekeeping-"));
    file = path.join(dir, "terminal.db");
    db = openTerminalDb(file);
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("arms the daily run for the next 03:00 local time", () => {
    const at = (h: number, m = 0) => new Date(2026, 5, 10, h, m, 0, 0);
    expect(msUntilNextLocalHour(3, at(2, 30))).toBe(30 * 60_000);
    expect(msUntilNextLocalHour(3, at(3, 0))).toBe(24 * 3_600_000);
    expect(msUntilNextLocalHour(3, at(4, 0))).toBe(23 * 3_600_000);
  });

  it("cleanup --days N deletes only SYNCED outbox rows (and history) older than N days", async () => {
    const add = (status: string, daysAgo: number) =>
      db
        .prepare(
          `INSERT INTO outbox (entity_type, entity_id, operation, sync_priority, status, created_at)
           VALUES ('sale_orders', lower(hex(randomblob(16))), 'CREATE', 10, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?))`,
        )
        .run(status, `-${daysAgo} days`);
    add("SYNCED", 10);
    add("SYNCED", 3);
    add("PENDING", 10);
    add("FAILED", 10);
    add("CONFLICT", 10);
    db.prepare(
      `INSERT INTO sync_history (kind, started_at) VALUES ('CYCLE', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-9 days'))`,
    ).run();
    db.prepare(`INSERT INTO sync_history (kind) VALUES ('CYCLE')`).run();

    const env = { ...envOf({ TERMINAL_DATABASE_URL: `file:${file}` }), HISTORY_RETENTION_DAYS: "8" };
    const r = await runCli(["cleanup", "--days", "7"], env);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(
      /^deleted 1 synced outbox row\(s\) older than 7 day\(s\) and 1 history row\(s\) older than 8 day\(s\)/,
    );
    const left = db.prepare(`SELECT status, count(*) AS n FROM outbox GROUP BY status ORDER BY status`).all();
    expect(left).toEqual([
      { status: "CONFLICT", n: 1 },
      { status: "FAILED", n: 1 },
      { status: "PENDING", n: 1 },
      { status: "SYNCED", n: 1 },
    ]);
    // The recent cycle stays, and the cleanup itself is recorded in history.
    expect(db.prepare(`SELECT kind, detail FROM sync_history ORDER BY id`).all()).toEqual([
      { kind: "CYCLE", detail: null },
      { kind: "CLEANUP", detail: "deleted 1 synced outbox row(s), 1 history row(s)" },
    ]);
  });
});
