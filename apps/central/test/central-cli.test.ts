import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { migrationsDir, readMigrationFiles, syncStatusResponseSchema } from "@tillsync/shared";
import { TEST_PG_URL, TEST_REDIS_URL, TerminalClient, testRedisPrefix } from "@tillsync/testkit";
import { loadCentralConfig } from "../src/config";
import { startCentral } from "../src/main";
import { useTestCentral } from "../testing";
import { centralCli } from "./support/central-cli";
import { deleteRedisPrefix } from "./support/redis-keys";

const { central } = useTestCentral("cli");

const migrations = readMigrationFiles(migrationsDir("central")).map((m) => m.name);

/** A database name nobody has created: the commands must create it. */
function missingDatabase(): { url: string; name: string } {
  const name = `tillsync_cli_${randomBytes(5).toString("hex")}`;
  const u = new URL(TEST_PG_URL);
  u.pathname = `/${name}`;
  return { url: u.toString(), name };
}

async function dropDatabase(name: string): Promise<void> {
  const c = new Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

describe("tillsync-central migrate", () => {
  const db = missingDatabase();
  afterAll(() => dropDatabase(db.name));

  it("creates a missing database, logs every migration it applies, then says it is up to date", async () => {
    const before = await centralCli(["migrate", "status", "--json"], { DATABASE_URL: db.url });
    expect(before.code).toBe(0);
    expect(JSON.parse(before.out.slice(before.out.indexOf("{")))).toEqual({ applied: [], pending: migrations });

    const first = await centralCli(["migrate"], { DATABASE_URL: db.url });
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    for (const m of migrations) expect(first.out).toContain(`applied ${m}`);
    expect(first.out).toContain(`${migrations.length} migration(s) applied`);

    const again = await centralCli(["migrate"], { DATABASE_URL: db.url });
    expect(again.code).toBe(0);
    expect(again.out).not.toContain("applied 2");
    expect(again.out).toContain("up to date");

    const after = await centralCli(["migrate", "status"], { DATABASE_URL: db.url });
    expect(after.code).toBe(0);
    expect(after.out).toContain(`${migrations.length} applied, 0 pending`);
    const json = JSON.parse((await centralCli(["migrate", "status", "--json"], { DATABASE_URL: db.url })).out) as {
      applied: Array<{ name: string }>;
      pending: string[];
    };
    expect(json.applied.map((m) => m.name)).toEqual(migrations);
    expect(json.pending).toEqual([]);
  });

  it("refuses a bad DATABASE_URL with exit 2 and one line naming it", async () => {
    const r = await centralCli(["migrate"], { DATABASE_URL: "mysql://x" });
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain("DATABASE_URL");
  });
});

describe("central's first start", () => {
  const db = missingDatabase();
  const prefix = testRedisPrefix("firststart");
  afterAll(async () => {
    await dropDatabase(db.name);
    await deleteRedisPrefix(prefix);
  });

  it("creates the missing database and logs each migration it applies", async () => {
    const lines: Array<{ msg: string; migration?: string }> = [];
    const config = loadCentralConfig({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      PORT: "0",
      ADMIN_TOKEN: "first-start-admin-token",
      LOG_LEVEL: "info",
    });
    const c = await startCentral(config, { logDestination: { write: (l) => void lines.push(JSON.parse(l)) } });
    await c.stop();
    expect(lines.map((l) => l.msg)).toContain("created the database DATABASE_URL names (it did not exist)");
    expect(lines.filter((l) => l.migration).map((l) => l.migration)).toEqual(migrations);
  });
});

describe("tillsync-central status", () => {
  it("prints /api/sync/status as a table, and the same document with --json", async () => {
    const t = await central.provisionTerminal();
    const till = new TerminalClient(central.url, t.terminalId, t.key);
    await till.raw("POST", "/api/sync/heartbeat", {
      terminalId: t.terminalId,
      status: "idle",
      outbox: { sale_orders: { pending: 7, failed: 2, synced: 40, conflicts: 0 } },
    });
    const env = { DATABASE_URL: central.databaseUrl };
    const api = (await central.admin("GET", `/api/sync/status?terminalId=${t.terminalId}`)).body;
    const json = await centralCli(["status", "--terminal", t.terminalId, "--json"], env);
    expect(json.code).toBe(0);
    expect(syncStatusResponseSchema.parse(JSON.parse(json.out))).toEqual(api);

    const table = await centralCli(["status", "--terminal", t.terminalId], env);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/sale_orders\s+7\s+2\s+40\s+0/);
    expect(table.out).toMatch(/TOTAL\s+7\s+2\s+40\s+0/);
    expect(table.out).toContain(`terminal ${t.terminalId}: running`);

    const bad = await centralCli(["status", "--terminal", "nope"], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("terminalId");
    const unknown = await centralCli(["status", "--terminal", "00000000-0000-4000-8000-000000000000"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("does not exist");
  });
});

describe("tillsync-central --version and --help", () => {
  it("prints the package's version", async () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string };
    const r = await centralCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });

  it("lists the variables each command reads", async () => {
    const serve = await centralCli(["serve", "--help"]);
    expect(serve.code).toBe(0);
    for (const v of ["DATABASE_URL", "REDIS_URL", "ADMIN_TOKEN", "PORT"]) expect(serve.out).toContain(v);
    const migrate = await centralCli(["migrate", "--help"]);
    expect(migrate.out).toContain("DATABASE_URL");
    expect(migrate.out).not.toContain("ADMIN_TOKEN");
    const top = await centralCli(["--help"]);
    for (const c of ["serve", "migrate", "status", "operators"]) expect(top.out).toContain(c);
    expect((await centralCli(["explode"])).code).toBe(2);
  });
});
