import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { envOf, runCli } from "./support/agent-cli";
import { indexCapturedTail } from "../src/capture/captured-tail";

/**
 * The operator's local commands (`config`, `history`, `failed`, `discard`, `retry-failed`),
 * each in its own process as on a till: exit codes, --json shapes, what lands in history.
 * None of them needs central.
 */
describe("tillsync-agent local inspection commands", () => {
  let dir: string;
  let file: string;
  let env: NodeJS.ProcessEnv;
  let till: Database.Database;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-inspect-"));
    file = path.join(dir, "terminal.db");
    env = envOf({ TERMINAL_DATABASE_URL: `file:${file}` });
    expect((await runCli(["resume"], env)).code).toBe(0); // creates and migrates the file
    till = new Database(file);
    till.pragma("busy_timeout = 5000");
  });

  afterEach(() => {
    till.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A sale whose two changes central rejected for good: FAILED with an error. */
  function failedSale(): string {
    const id = randomUUID();
    till.transaction(() => {
      till
        .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 700)`)
        .run(id, randomUUID());
      till.prepare(`INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CARD', 700)`).run(id);
    })();
    // The tail indexed first, as the claim before any answer does (a tail row is PENDING, capture/captured-tail.ts).
    till.transaction(() => indexCapturedTail(till)).immediate();
    till
      .prepare(
        `UPDATE outbox SET status = 'FAILED', attempts = 3, error = 'store does not exist',
                last_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE status = 'PENDING'`,
      )
      .run();
    return id;
  }

  const outbox = () =>
    till.prepare(`SELECT id, entity_type, status, attempts, error FROM outbox ORDER BY id`).all() as {
      id: number;
      entity_type: string;
      status: string;
      attempts: number;
      error: string | null;
    }[];

  it("failed lists FAILED changes with error, attempts and row; --table filters; a bad table exits 2", async () => {
    const order = failedSale();
    const r = await runCli(["failed", "--json"], env);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const rows = JSON.parse(r.stdout) as { table: string; error: string; attempts: number; row: { id?: string } }[];
    expect(rows.map((x) => x.table).sort()).toEqual(["payments", "sale_orders"]);
    const sale = rows.find((x) => x.table === "sale_orders")!;
    expect(sale).toMatchObject({ entityId: order, operation: "CREATE", error: "store does not exist", attempts: 3 });
    expect(sale.row).toMatchObject({ id: order, status: "COMPLETED", total_cents: 700 });

    const only = JSON.parse((await runCli(["failed", "--table", "payments", "--json"], env)).stdout) as unknown[];
    expect(only).toHaveLength(1);
    const text = await runCli(["failed"], env);
    expect(text.stdout).toMatch(/^#\d+ sale_orders CREATE .*3 attempt\(s\)/m);
    expect(text.stdout).toMatch(/^ {4}error: store does not exist$/m);
    const bad = await runCli(["failed", "--table", "sales"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tillsync-agent: --table sales is not a synced table \(categories, /);
  });

  it("discard needs --yes, removes only FAILED changes, and records what it removed in history", async () => {
    failedSale();
    const [first, second] = outbox();
    const noYes = await runCli(["discard", String(first!.id)], env);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/would discard 1 failed change\(s\) for good .*run again with --yes\n$/);
    expect(outbox()).toHaveLength(2);

    const one = await runCli(["discard", String(first!.id), "--yes"], env);
    expect(one).toMatchObject({ code: 0, stdout: "discarded 1 failed change(s); recorded in history\n" });
    expect(outbox().map((o) => o.id)).toEqual([second!.id]);

    // A pending change is not FAILED: not found, exit 1, left alone.
    failedSale();
    till.prepare(`UPDATE outbox SET status = 'PENDING' WHERE id = ?`).run(second!.id);
    const mixed = await runCli(["discard", String(second!.id), "--all"], env);
    expect(mixed.code).toBe(2);
    const notFailed = await runCli(["discard", String(second!.id), "--yes"], env);
    expect(notFailed.code).toBe(1);
    expect(notFailed.stderr).toBe(`tillsync-agent: not a failed change: ${second!.id}\n`);
    expect(outbox().find((o) => o.id === second!.id)?.status).toBe("PENDING");

    const all = await runCli(["discard", "--all", "--yes"], env);
    expect(all.stdout).toBe("discarded 2 failed change(s); recorded in history\n");
    expect(outbox().map((o) => o.status)).toEqual(["PENDING"]);
    expect((await runCli(["discard", "--all"], env)).stdout).toBe("no failed changes to discard\n");

    const history = JSON.parse((await runCli(["history", "--json"], env)).stdout) as { kind: string; detail: string }[];
    expect(history.filter((h) => h.kind === "DISCARD").map((h) => h.detail)).toEqual([
      expect.stringMatching(/^discarded 2 failed change\(s\): [0-9a-f-]{36}, [0-9a-f-]{36}$/),
      expect.stringMatching(/^discarded 1 failed change\(s\): [0-9a-f-]{36}$/),
    ]);
  });

  it("retry-failed puts FAILED changes back to PENDING with a fresh budget and no old error", async () => {
    failedSale();
    const r = await runCli(["retry-failed"], env);
    expect(r).toMatchObject({ code: 0, stdout: "2 failed change(s) back to pending; they go with the next sync\n" });
    expect(outbox().map(({ status, attempts, error }) => ({ status, attempts, error }))).toEqual([
      { status: "PENDING", attempts: 0, error: null },
      { status: "PENDING", attempts: 0, error: null },
    ]);
    const [last] = JSON.parse((await runCli(["history", "--json", "--limit", "1"], env)).stdout) as unknown[];
    expect(last).toMatchObject({ kind: "RETRY_FAILED", detail: "2 failed change(s) back to pending" });
  });

  it("history lists cycles and commands newest first with their duration; --limit; text form", async () => {
    till
      .prepare(
        `INSERT INTO sync_history (kind, started_at, finished_at, pushed, pulled, conflicts, error)
         VALUES ('CYCLE', '2026-12-01T10:00:00.000Z', '2026-12-01T10:00:01.250Z', 3, 4, 1, NULL),
                ('CYCLE', '2026-12-01T10:05:00.000Z', '2026-12-01T10:05:00.100Z', 0, 0, 0, 'cannot reach central')`,
      )
      .run();
    expect((await runCli(["pause"], env)).code).toBe(0);
    const r = await runCli(["history", "--json"], env);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const entries = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(entries.map((e) => e.kind)).toEqual(["PAUSE", "CYCLE", "CYCLE", "RESUME"]);
    expect(entries[1]).toMatchObject({ durationMs: 100, error: "cannot reach central", pushed: 0 });
    expect(entries[2]).toEqual({
      id: expect.any(Number),
      kind: "CYCLE",
      startedAt: "2026-12-01T10:00:00.000Z",
      finishedAt: "2026-12-01T10:00:01.250Z",
      durationMs: 1250,
      pushed: 3,
      pulled: 4,
      conflicts: 1,
      error: null,
      detail: null,
    });
    expect(JSON.parse((await runCli(["history", "--json", "--limit", "2"], env)).stdout)).toHaveLength(2);
    const text = await runCli(["history"], env);
    expect(text.stdout).toMatch(/^2026-12-01T10:00:00.000Z CYCLE +1250 +3 +4 +1 {2}ok$/m);
    expect(text.stdout).toMatch(/CYCLE +100 +0 +0 +0 {2}error: cannot reach central$/m);
    expect((await runCli(["history", "--limit", "0"], env)).code).toBe(2);
  });

  it("config shows every value with its source, the key masked, the key file named as the source", async () => {
    const keyFile = path.join(dir, "key");
    writeFileSync(keyFile, "tsk_secret_0123456789abcdef\n");
    chmodSync(keyFile, 0o600);
    const r = await runCli(["config", "--json"], {
      ...env,
      CENTRAL_API_KEY_FILE: keyFile,
      SYNC_INTERVAL: "60",
    });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const entries = JSON.parse(r.stdout) as { name: string; value: unknown; source: string }[];
    const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
    expect(byName.SYNC_INTERVAL).toEqual({ name: "SYNC_INTERVAL", value: 60, source: "environment" });
    expect(byName.SYNC_BATCH_SIZE).toEqual({ name: "SYNC_BATCH_SIZE", value: 100, source: "default" });
    expect(byName.CENTRAL_API_KEY).toEqual({ name: "CENTRAL_API_KEY", value: "tsk_…cdef", source: "file" });
    expect(byName.CENTRAL_API_URL).toEqual({ name: "CENTRAL_API_URL", value: null, source: "unset" });
    expect(byName["(database file)"]).toMatchObject({ value: file });
    expect(r.stdout).not.toContain("secret");

    const text = await runCli(["config"], { ...env, CENTRAL_API_KEY: "tsk_secret_0123456789abcdef" });
    expect(text.stdout).toMatch(/^CENTRAL_API_KEY +tsk_…cdef +environment$/m);
    expect(text.stdout).not.toContain("secret");
  });

  it("puts a relative TERMINAL_DATABASE_URL in the directory the command was started from (INIT_CWD under npm)", async () => {
    const r = await runCli(["pause"], { ...env, TERMINAL_DATABASE_URL: "file:./till/relative.db", INIT_CWD: dir });
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, "till", "relative.db"))).toBe(true);
    const config = JSON.parse(
      (await runCli(["config", "--json"], { ...env, TERMINAL_DATABASE_URL: "file:./till/relative.db", INIT_CWD: dir }))
        .stdout,
    ) as { name: string; value: unknown }[];
    expect(config.find((e) => e.name === "(database file)")?.value).toBe(path.join(dir, "till", "relative.db"));
  });

  it("every command validates every set variable, names unknown ones, and has --version and per-command --help", async () => {
    const bad = await runCli(["status"], { ...env, SYNC_BATCH_SIZE: "lots" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("tillsync-agent: invalid agent configuration: SYNC_BATCH_SIZE: must be a number\n");

    const typo = await runCli(["status", "--json"], { ...env, SYNC_INTERVALL: "60" });
    expect(typo.code).toBe(0);
    JSON.parse(typo.stdout); // the warning went to stderr, not into the document
    expect(JSON.parse(typo.stderr.trim())).toMatchObject({
      level: 40,
      variable: "SYNC_INTERVALL",
      closest: "SYNC_INTERVAL",
      msg: "unknown variable SYNC_INTERVALL is ignored; did you mean SYNC_INTERVAL?",
    });

    const version = await runCli(["--version"], env);
    expect(version).toMatchObject({ code: 0, stdout: "0.1.0\n" });
    const help = await runCli(["sync", "--help"], env);
    expect(help.code).toBe(0);
    for (const v of ["CENTRAL_API_URL", "CENTRAL_API_KEY_FILE", "TERMINAL_ID", "TERMINAL_DATABASE_URL", "SYNC_ENABLED"])
      expect(help.stdout).toContain(v);
    const statusHelp = await runCli(["status", "--help"], env);
    expect(statusHelp.stdout).toContain("TERMINAL_DATABASE_URL");
    expect(statusHelp.stdout).not.toContain("CENTRAL_API_URL");
    const all = await runCli(["--help"], env);
    for (const c of ["config", "history", "failed", "discard", "test-connection"])
      expect(all.stdout).toContain(`  ${c}`);
  });
});
