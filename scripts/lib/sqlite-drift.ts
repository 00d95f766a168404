import Database from "better-sqlite3";
import { migrationsDir, readMigrationFiles } from "@tillsync/shared";
import { diffEmptyToSchema, schemaPath } from "./schema-engine";

/**
 * Drift check for the terminal (SQLite) side. The wasm schema engine reports every
 * expression default (`dbgenerated`, needed for ISO timestamps and UUID ids) as changed on
 * SQLite, so its diff is never empty there. Instead: build one database from the committed
 * migrations and one from the schema's own CREATE script, and compare their structure
 * (tables, columns with type/nullability/default/pk, indexes). Triggers live only in
 * migrations and are checked against the policy by the capture tests.
 */
export async function sqliteSchemaDrift(schemaFile = schemaPath("terminal")): Promise<string[]> {
  const fromMigrations = new Database(":memory:");
  for (const m of readMigrationFiles(migrationsDir("terminal"))) fromMigrations.exec(m.sql);
  const fromSchema = new Database(":memory:");
  fromSchema.exec(await diffEmptyToSchema("terminal", schemaFile));
  const a = describe(fromMigrations);
  const b = describe(fromSchema);
  fromMigrations.close();
  fromSchema.close();
  const problems: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(key) !== b.get(key)) {
      problems.push(`${key}: migrations have ${a.get(key) ?? "nothing"}, schema has ${b.get(key) ?? "nothing"}`);
    }
  }
  return problems;
}

function describe(db: Database.Database): Map<string, string> {
  const out = new Map<string, string>();
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`)
    .all() as Array<{ name: string }>;
  for (const { name } of tables) {
    for (const c of db.prepare(`PRAGMA table_info("${name}")`).all() as Array<Record<string, unknown>>) {
      out.set(`${name}.${String(c.name)}`, JSON.stringify({ type: c.type, notnull: c.notnull, dflt: c.dflt_value, pk: c.pk }));
    }
    for (const i of db.prepare(`PRAGMA index_list("${name}")`).all() as Array<{ name: string; unique: number; origin: string }>) {
      const cols = (db.prepare(`PRAGMA index_info("${i.name}")`).all() as Array<{ name: string }>).map((c) => c.name);
      out.set(`${name} index(${cols.join(",")})`, JSON.stringify({ unique: i.unique, origin: i.origin }));
    }
  }
  return out;
}
