/**
 * Drives Prisma's schema engine (WebAssembly build) offline. The Prisma CLI would download a
 * native engine from a host build machines often cannot reach; the wasm build ships on npm
 * and talks to the database through the same driver adapters the apps use.
 * Used by create-migration.ts and by the migration drift tests.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { migrationsDir, PRISMA_DIR, readMigrationFiles } from "@tillsync/shared";

export type Side = "central" | "terminal";

interface DiffTarget {
  tag: string;
  [k: string]: unknown;
}
interface Engine {
  diff(p: { from: DiffTarget; to: DiffTarget; script: boolean; exitCode: boolean | null; filters: { externalTables: string[]; externalEnums: string[] } }): Promise<{ exitCode: number; stdout?: string | null }>;
  free(): void;
}
interface Glue {
  __wbg_set_wasm(exports: WebAssembly.Exports): void;
  SchemaEngine: { new: (o: { datamodels: [string, string][] }, log: (s: string) => void, adapter: object) => Promise<Engine> };
}

let gluePromise: Promise<Glue> | undefined;

/** Loads the wasm by hand: Node 20 cannot import a `.wasm` ES module entry directly. */
function loadGlue(): Promise<Glue> {
  gluePromise ??= (async () => {
    const glue = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as unknown as Glue;
    const wasmPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg").replace(/\.js$/, ".wasm");
    const module = new WebAssembly.Module(readFileSync(wasmPath));
    const instance = new WebAssembly.Instance(module, { "./schema_engine_bg.js": glue as unknown as WebAssembly.ModuleImports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return gluePromise;
}

/**
 * PostgreSQL's internal "char" type (OID 18, in catalogue columns the engine reads) is not
 * one the adapter can map; reporting it as text (OID 25) lets the engine read the catalogue.
 */
class CharAsTextClient extends pg.Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const fix = (res: pg.QueryResult | undefined) => {
      for (const f of res?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
      return res;
    };
    // pg.Pool calls the callback form; the adapter may call the promise form.
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (err: Error | null, res: pg.QueryResult) => last(err, fix(res));
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const r = (super.query as (...a: any[]) => any)(...args);
    return r && typeof r.then === "function" ? r.then(fix) : r;
  }
}

const ADMIN_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

function poolConfig(database: string): pg.PoolConfig {
  const u = new URL(ADMIN_URL);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || "postgres"),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database,
    Client: CharAsTextClient as unknown as typeof pg.Client,
  };
}

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client(poolConfig("postgres"));
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A shadow-database factory that closes its pool before dropping the database. */
class PgFactory extends PrismaPg {
  override async connectToShadowDb() {
    const name = `tillsync_shadow_${randomBytes(5).toString("hex")}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const pool = new pg.Pool(poolConfig(name));
    const adapter = await new PrismaPg(pool).connect();
    // The adapter splits scripts on ";", which cuts plpgsql bodies ($$ … $$) apart; the
    // simple-query protocol runs a whole multi-statement script as it is.
    adapter.executeScript = async (script: string) => {
      await pool.query(script);
    };
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    };
    return adapter;
  }
}

type SqliteAdapter = Awaited<ReturnType<PrismaBetterSqlite3["connect"]>>;

/**
 * The wasm engine replays a SQLite migration file through executeRaw, which prepares a single
 * statement; whole scripts (several statements, triggers) must go through executeScript.
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

class SqliteFactory extends PrismaBetterSqlite3 {
  override async connect() {
    return runScriptsWhole(await super.connect());
  }
  override async connectToShadowDb() {
    return runScriptsWhole(await super.connectToShadowDb());
  }
}

export function schemaPath(side: Side): string {
  return path.join(PRISMA_DIR, `${side}.prisma`);
}

interface Session {
  engine: Engine;
  close(): Promise<void>;
}

async function open(side: Side, schemaFile: string): Promise<Session> {
  const glue = await loadGlue();
  const datamodel = readFileSync(schemaFile, "utf8");
  const log = (s: string) => { if (process.env.ENGINE_DEBUG) console.error("ENGINE", s); };
  if (side === "central") {
    const name = `tillsync_engine_${randomBytes(5).toString("hex")}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const pool = new pg.Pool(poolConfig(name));
    const engine = await glue.SchemaEngine.new({ datamodels: [[schemaFile, datamodel]] }, log, bindMigrationAwareSqlAdapterFactory(new PgFactory(pool)));
    return {
      engine,
      async close() {
        engine.free();
        await pool.end().catch(() => undefined);
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-engine-"));
  const factory = bindMigrationAwareSqlAdapterFactory(new SqliteFactory({ url: `file:${path.join(dir, "engine.db")}` }));
  const engine = await glue.SchemaEngine.new({ datamodels: [[schemaFile, datamodel]] }, log, factory);
  return {
    engine,
    async close() {
      engine.free();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function migrationsTarget(side: Side): DiffTarget {
  const baseDir = migrationsDir(side);
  const lock = path.join(baseDir, "migration_lock.toml");
  return {
    tag: "migrations",
    baseDir,
    lockfile: { path: "migration_lock.toml", content: existsSync(lock) ? readFileSync(lock, "utf8") : null },
    shadowDbInitScript: "",
    migrationDirectories: readMigrationFiles(baseDir).map((m) => ({
      path: m.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
    })),
  };
}

async function diff(side: Side, from: "empty" | "migrations", schemaFile: string): Promise<string> {
  const s = await open(side, schemaFile);
  try {
    const r = await s.engine.diff({
      from: from === "empty" ? { tag: "empty" } : migrationsTarget(side),
      to: { tag: "schemaDatamodel", files: [{ path: schemaFile, content: readFileSync(schemaFile, "utf8") }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    return r.stdout ?? "";
  } finally {
    await s.close();
  }
}

/** SQL that would take the committed migrations to the schema; "" (modulo comments) = no drift. */
export function diffMigrationsToSchema(side: Side, schemaFile = schemaPath(side)): Promise<string> {
  return diff(side, "migrations", schemaFile);
}

export function diffEmptyToSchema(side: Side, schemaFile = schemaPath(side)): Promise<string> {
  return diff(side, "empty", schemaFile);
}

/** The statements of a script, without comments and blank lines. */
export function sqlStatements(script: string): string {
  return script
    .split("\n")
    .filter((l) => !l.trim().startsWith("--") && l.trim() !== "")
    .join("\n")
    .trim();
}
