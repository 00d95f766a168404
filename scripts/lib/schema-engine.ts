/**
 * Drives Prisma's schema engine (WebAssembly build) offline. The Prisma CLI downloads a native
 * engine on every `migrate` command from a host build machines often cannot reach; the wasm
 * build ships on npm and talks to the database through the same driver adapters the apps use.
 * Used by create-migration.ts and by the migration drift tests.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type * as Wasm from "@prisma/schema-engine-wasm/schema_engine_bg";
import Database from "better-sqlite3";
import pg from "pg";
import { migrationsDir, PRISMA_DIR, readMigrationFiles } from "@tillsync/shared";

export type Side = "central" | "terminal";
export type DiffTarget = Wasm.DiffTarget;

export interface OpenSchemaEngineOptions {
  /** Central: the server (its database only runs CREATE/DROP DATABASE for scratch databases). Default: env DATABASE_URL, else postgres@127.0.0.1. */
  databaseUrl?: string;
  /** Terminal: the engine's main SQLite file. Default: a temp file, deleted on close. */
  sqlitePath?: string;
  /** Schema given to the engine at construction. Default: prisma/<side>.prisma. */
  schemaPath?: string;
}

/** One engine instance; reuse it for a sequence of calls (a new one per step stalls on the migration lock). */
export interface SchemaEngineSession {
  readonly side: Side;
  /** The engine's `diff` as an executable SQL script ("" when there is nothing to do). */
  diff(from: DiffTarget, to: DiffTarget): Promise<string>;
  /** SQL taking the committed migrations (default prisma/migrations/<side>) to the schema. */
  diffMigrationsToSchema(schemaFile?: string, migrationsFolder?: string): Promise<string>;
  /** Full CREATE script for the schema, from an empty database. */
  diffEmptyToSchema(schemaFile?: string): Promise<string>;
  close(): Promise<void>;
}

export function schemaPath(side: Side): string {
  return path.join(PRISMA_DIR, `${side}.prisma`);
}

// ---- loading the wasm ----------------------------------------------------------------------

type Glue = typeof Wasm;
let gluePromise: Promise<Glue> | undefined;

/** Node 20 cannot `import` the package's `.wasm` ES-module entry, so it is instantiated by hand. */
function loadGlue(): Promise<Glue> {
  gluePromise ??= (async () => {
    const glue: Glue = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const wasmPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg").replace(/\.js$/, ".wasm");
    const module = new WebAssembly.Module(readFileSync(wasmPath));
    // The wasm imports its JS helpers under the glue's own file name.
    const instance = new WebAssembly.Instance(module, {
      "./schema_engine_bg.js": glue as unknown as WebAssembly.ModuleImports,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return gluePromise;
}

// ---- PostgreSQL ----------------------------------------------------------------------------

const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/**
 * The engine reads catalogue columns of PostgreSQL's internal "char" type (OID 18), which
 * @prisma/adapter-pg 7.10 refuses ("could not be deserialized"). Rewriting the type in each row
 * description to text (OID 25) before pg builds the result covers every query form (callback,
 * promise, pool) in one place. Added in the constructor, the listener runs before pg's own.
 */
class CharAsTextClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.connection.on("rowDescription", (msg: { fields: pg.FieldDef[] }) => {
      for (const f of msg.fields) if (f.dataTypeID === 18) f.dataTypeID = 25;
    });
  }
}

/** Config as an object: with a connection string, pg would let the URL override `database`. */
function pgConfig(url: string, database: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || "postgres"),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database,
    Client: CharAsTextClient,
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client(pgConfig(url, decodeURIComponent(new URL(url).pathname.slice(1)) || "postgres"));
  await c.connect();
  await c.query(sql).finally(() => c.end());
}

/** Names are [a-z0-9_], so they need no quoting. */
async function createScratchDatabase(url: string, prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await adminQuery(url, `CREATE DATABASE ${name}`);
  return name;
}

function dropDatabase(url: string, name: string): Promise<void> {
  return adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

type PgAdapter = Awaited<ReturnType<PrismaPg["connect"]>>;

/**
 * Two fixes over PrismaPg's shadow database: its factory drops the database while its pool is
 * still connected ("being accessed by other users"); and its executeScript splits on ";",
 * which cuts the plpgsql bodies ($$ … $$) of trigger migrations apart, whereas pg's
 * simple-query protocol runs a multi-statement script as written.
 */
class PgFactory extends PrismaPg {
  constructor(
    private readonly url: string,
    pool: pg.Pool,
  ) {
    super(pool);
  }

  override async connectToShadowDb(): Promise<PgAdapter> {
    const name = await createScratchDatabase(this.url, "tillsync_shadow");
    const pool = new pg.Pool(pgConfig(this.url, name));
    const adapter = await new PrismaPg(pool).connect();
    adapter.executeScript = async (script: string) => {
      await pool.query(script);
    };
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await dropDatabase(this.url, name);
    };
    return adapter;
  }
}

// ---- SQLite --------------------------------------------------------------------------------

type SqliteAdapter = Awaited<ReturnType<PrismaBetterSqlite3["connect"]>>;

/**
 * The engine replays a SQLite migration file through executeRaw, which prepares one statement:
 * files with several (CREATE TRIGGER … BEGIN …; END;) fail. Parameterless multi-statement SQL
 * goes to executeScript (better-sqlite3 `exec`) instead.
 */
function runScriptsWhole(a: SqliteAdapter): SqliteAdapter {
  const raw = a.executeRaw.bind(a);
  a.executeRaw = async (q) => {
    if (q.args.length === 0 && /;\s*\S/.test(q.sql.trim())) {
      await a.executeScript(q.sql);
      return 0;
    }
    return raw(q);
  };
  return a;
}

/** Shadow databases are a fresh ":memory:" database per connection (the adapter's default). */
class SqliteFactory extends PrismaBetterSqlite3 {
  override async connect(): Promise<SqliteAdapter> {
    return runScriptsWhole(await super.connect());
  }
  override async connectToShadowDb(): Promise<SqliteAdapter> {
    return runScriptsWhole(await super.connectToShadowDb());
  }
}

// ---- engine session ------------------------------------------------------------------------

function schemaTarget(file: string): DiffTarget {
  return { tag: "schemaDatamodel", files: [{ path: file, content: readFileSync(file, "utf8") }] };
}

/** A migrations folder in the shape the engine expects (the CLI would read it for it). */
export function migrationsTarget(baseDir: string): DiffTarget {
  const lock = path.join(baseDir, "migration_lock.toml");
  return {
    tag: "migrations",
    baseDir,
    lockfile: { path: "migration_lock.toml", content: existsSync(lock) ? readFileSync(lock, "utf8") : null },
    shadowDbInitScript: "",
    migrationDirectories: (existsSync(baseDir) ? readMigrationFiles(baseDir) : []).map((m) => ({
      path: m.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
    })),
  };
}

export async function openSchemaEngine(side: Side, opts: OpenSchemaEngineOptions = {}): Promise<SchemaEngineSession> {
  const glue = await loadGlue();
  const initial = opts.schemaPath ?? schemaPath(side);
  const datamodels: [string, string][] = [[initial, readFileSync(initial, "utf8")]];
  const log = (line: string) => {
    if (process.env.ENGINE_DEBUG) console.error("schema-engine:", line);
  };

  let factory: ReturnType<typeof bindMigrationAwareSqlAdapterFactory>;
  let cleanup: () => Promise<void>;
  if (side === "central") {
    const url = opts.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
    // A database of its own: the engine can never touch one that holds data.
    const name = await createScratchDatabase(url, "tillsync_engine");
    // Our own pool, so close() can end it before dropping the database.
    const pool = new pg.Pool(pgConfig(url, name));
    factory = bindMigrationAwareSqlAdapterFactory(new PgFactory(url, pool));
    cleanup = async () => {
      await pool.end().catch(() => undefined);
      await dropDatabase(url, name);
    };
  } else {
    const dir = opts.sqlitePath ? undefined : mkdtempSync(path.join(tmpdir(), "tillsync-engine-"));
    factory = bindMigrationAwareSqlAdapterFactory(
      new SqliteFactory({ url: `file:${opts.sqlitePath ?? path.join(dir ?? "", "engine.db")}` }),
    );
    cleanup = async () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    };
  }
  let engine: Wasm.SchemaEngine;
  try {
    engine = await glue.SchemaEngine.new({ datamodels }, log, factory);
  } catch (err) {
    await cleanup();
    throw err;
  }

  let closed = false;
  const session: SchemaEngineSession = {
    side,
    async diff(from, to) {
      const filters = { externalTables: [], externalEnums: [] };
      return (await engine.diff({ from, to, script: true, exitCode: null, filters })).stdout ?? "";
    },
    diffMigrationsToSchema(schemaFile = schemaPath(side), migrationsFolder = migrationsDir(side)) {
      if (side === "terminal") return sqliteDiffMigrationsToSchema(session, schemaFile, migrationsFolder);
      return session.diff(migrationsTarget(migrationsFolder), schemaTarget(schemaFile));
    },
    diffEmptyToSchema(schemaFile = schemaPath(side)) {
      return session.diff({ tag: "empty" }, schemaTarget(schemaFile));
    },
    async close() {
      if (closed) return;
      closed = true;
      engine.free();
      await cleanup();
    },
  };
  return session;
}

// ---- SQLite: real changes versus dbgenerated noise -----------------------------------------

/**
 * On SQLite the engine's diff from migrations to a schema never comes out empty when the schema
 * has `dbgenerated` defaults: every table holding one is "redefined", every time. Its describer
 * reads the migrated database through PRAGMA table_info, where SQLite has stripped the outer
 * parentheses (`(strftime(…))` comes back as `strftime(…)`), and it takes any default of a TEXT
 * column for a string literal, while the schema side keeps `dbgenerated("(…)")` as written; the
 * two never compare equal (prisma-engines sql_schema_differ/column.rs, `defaults_match`). The
 * parentheses cannot go: `DEFAULT lower(…)` is a syntax error in SQLite.
 *
 * So a second diff, whose two sides both go through the describer (committed migrations → the
 * schema's own CREATE script as a one-migration folder), names the tables that really changed.
 * Its SQL is unusable (it renders the misread defaults, e.g. DEFAULT 'lower(hex(…))' as a
 * string); the result is the direct diff restricted to those tables.
 */
async function sqliteDiffMigrationsToSchema(
  s: SchemaEngineSession,
  schemaFile: string,
  folder: string,
): Promise<string> {
  const direct = await s.diff(migrationsTarget(folder), schemaTarget(schemaFile));
  if (!sqlStatements(direct)) return direct;
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-schema-as-migration-"));
  try {
    mkdirSync(path.join(dir, "0_schema"));
    writeFileSync(path.join(dir, "0_schema", "migration.sql"), await s.diffEmptyToSchema(schemaFile));
    writeFileSync(path.join(dir, "migration_lock.toml"), 'provider = "sqlite"\n');
    const real = await s.diff(migrationsTarget(folder), migrationsTarget(dir));
    return restrictToTables(direct, real, sqliteCatalog(folder).indexTable);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `-- Name` comment line, or a `/* Warnings … *\/` block, and the statements after it. */
type Section = { header: string[]; statements: string[] };

/** Splits an engine script into sections; a statement ends with `;` at the end of a line. */
function parseScript(script: string): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  let statement: string[] = [];
  let inComment = false;
  for (const line of script.split("\n")) {
    if (statement.length === 0 && !inComment && line.trim() === "") continue;
    if (inComment || (statement.length === 0 && (line.startsWith("--") || line.startsWith("/*")))) {
      if (!inComment || !current) sections.push((current = { header: [], statements: [] }));
      current.header.push(line);
      inComment = line.startsWith("/*") ? !line.includes("*/") : inComment && !line.includes("*/");
      continue;
    }
    statement.push(line);
    if (line.trimEnd().endsWith(";")) {
      if (!current) sections.push((current = { header: [], statements: [] }));
      current.statements.push(statement.join("\n"));
      statement = [];
    }
  }
  return sections;
}

/** The table an engine statement acts on; undefined for PRAGMAs and shapes not known here. */
function statementTable(stmt: string, indexTable: Map<string, string>): string | undefined {
  const m =
    /RENAME TO "([^"]+)"/.exec(stmt) ??
    /^CREATE (?:UNIQUE )?INDEX "[^"]+" ON "([^"]+)"/.exec(stmt) ??
    /^(?:CREATE TABLE|INSERT INTO|DROP TABLE|ALTER TABLE) "([^"]+)"/.exec(stmt);
  if (m?.[1]) return /^(CREATE TABLE|INSERT INTO) "new_/.test(stmt) ? m[1].slice(4) : m[1];
  const dropIndex = /^DROP INDEX "([^"]+)"/.exec(stmt);
  return dropIndex?.[1] ? indexTable.get(dropIndex[1]) : undefined;
}

/** `direct`, keeping the statements on tables `real` changes. Any statement not understood: all of `direct`. */
function restrictToTables(direct: string, real: string, indexTable: Map<string, string>): string {
  const realSections = parseScript(real);
  const directSections = parseScript(direct);
  const all = [...realSections, ...directSections].flatMap((sec) => sec.statements);
  if (all.some((st) => !st.startsWith("PRAGMA") && statementTable(st, indexTable) === undefined)) return direct;
  const changed = new Set(realSections.flatMap((sec) => sec.statements.map((st) => statementTable(st, indexTable))));
  const out: string[] = [];
  for (const sec of directSections) {
    if (sec.header[0]?.startsWith("/*")) {
      // Data-loss warnings name their table in backticks.
      const lines = sec.header.filter(
        (l) => !l.trim().startsWith("- ") || [...changed].some((t) => l.includes(`\`${t}\``)),
      );
      if (lines.some((l) => l.trim().startsWith("- "))) out.push(lines.join("\n"));
      continue;
    }
    const kept = sec.statements.filter((st) => changed.has(statementTable(st, indexTable)));
    // PRAGMAs frame a table redefinition: they stay when anything of their section stays.
    if (kept.length)
      out.push(
        [...sec.header, ...sec.statements.filter((st) => st.startsWith("PRAGMA") || kept.includes(st))].join("\n"),
      );
  }
  return out.length ? out.join("\n\n") + "\n" : "";
}

/** Index → table, and table → trigger names, of a SQLite database built from a migrations folder. */
export function sqliteCatalog(folder: string): { indexTable: Map<string, string>; triggers: Map<string, string[]> } {
  const db = new Database(":memory:");
  try {
    for (const m of existsSync(folder) ? readMigrationFiles(folder) : []) db.exec(m.sql);
    const sql = `SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('index', 'trigger')`;
    const rows = db.prepare(sql).all() as Array<Record<"type" | "name" | "tbl_name", string>>;
    const indexTable = new Map<string, string>();
    const triggers = new Map<string, string[]>();
    for (const r of rows) {
      if (r.type === "index") indexTable.set(r.name, r.tbl_name);
      else triggers.set(r.tbl_name, [...(triggers.get(r.tbl_name) ?? []), r.name]);
    }
    return { indexTable, triggers };
  } finally {
    db.close();
  }
}

/**
 * Triggers a SQLite script loses: a redefinition drops and re-creates its table, SQLite drops
 * the table's triggers with it, and Prisma knows nothing of triggers.
 */
export function sqliteTriggersDroppedBy(script: string, migrationsFolder = migrationsDir("terminal")): string[] {
  const { triggers } = sqliteCatalog(migrationsFolder);
  return [...script.matchAll(/^DROP TABLE "([^"]+)"/gm)].flatMap((m) => triggers.get(m[1] ?? "") ?? []);
}

// ---- one-shot helpers ----------------------------------------------------------------------

async function withEngine<T>(side: Side, fn: (s: SchemaEngineSession) => Promise<T>): Promise<T> {
  const s = await openSchemaEngine(side);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/**
 * SQL taking the committed migrations (prisma/migrations/<side>/) to the schema (default
 * prisma/<side>.prisma). No statements (see sqlStatements) means no drift.
 */
export function diffMigrationsToSchema(side: Side, schemaFile = schemaPath(side)): Promise<string> {
  return withEngine(side, (s) => s.diffMigrationsToSchema(schemaFile));
}

/** Full CREATE script from an empty database to the schema (default prisma/<side>.prisma). */
export function diffEmptyToSchema(side: Side, schemaFile = schemaPath(side)): Promise<string> {
  return withEngine(side, (s) => s.diffEmptyToSchema(schemaFile));
}

/** The statements of an engine script, without `--` comment lines and blank lines. */
export function sqlStatements(script: string): string {
  return script
    .split("\n")
    .filter((l) => !l.trim().startsWith("--") && l.trim() !== "")
    .join("\n")
    .trim();
}
